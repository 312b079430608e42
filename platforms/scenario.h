// A validated scenario: the platform (board, VMs, IVSHMEM regions), the guest
// workloads and the run control. sim/ builds it from YAML (and later ACRN
// XML); platforms/ turns it into a SystemC platform.
#pragma once

#include <cstddef>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "models/core/types.h"
#include "models/pci/bdf.h"
#include "platforms/config_error.h"
#include "platforms/dm_device.h"

namespace ivsim {

enum class LoadOrder { pre_launched, service_vm, post_launched };
enum class Provider { hypervisor, device_model };

const char* to_string(LoadOrder l);  // "PRE_LAUNCHED_VM", "SERVICE_VM", "POST_LAUNCHED_VM"
const char* to_string(Provider p);   // "Hypervisor", "Device Model"

// ACRN's VMNameType allows 1-15 characters: the hypervisor's
// name[MAX_VM_NAME_LEN] holds 16 bytes with the NUL, and acrn-dm refuses a
// longer name ("exceeds the maximum length: 15").
constexpr std::size_t kMaxVmNameChars = 15;

struct VmConfig {
  unsigned id = 0;
  std::string name;
  LoadOrder load_order = LoadOrder::post_launched;
  std::string vm_type = "STANDARD_VM";  // ACRN vm_type: RTVM, STANDARD_VM, ...
  std::vector<unsigned> pcpus;          // vCPU i runs on pcpus[i]
  u64 memory_mib = 256;
  bool lapic_passthrough = false;
  // Translation: the largest leaf the hypervisor may use in this VM's EPT
  // (ACRN uses 2 MiB and 1 GiB leaves where aligned), and the guest's own
  // paging (off: flat physical addressing; else 4-level with this leaf size).
  // Scheduling on shared pCPUs: SCHED_PRIO priority (higher runs first) and
  // SCHED_BVT weight (share of the pCPU).
  int priority = 0;
  unsigned bvt_weight = 1;
  u64 ept_max_page = kPageSize1G;
  // kPageSize4K, kPageSize2M or kPageSize1G
  bool guest_paging = true;
  u64 guest_page_size = kPageSize4K;  // kPageSize4K, kPageSize2M or kPageSize1G
  // The guest OS personality whose driver path a doorbell takes
  // (workloads/guest_os.h): "bare", "zephyr", "linux-uio" or "windows".
  std::string os = "bare";
  // ACRN's own_pcpu (v3.2 on): a post-launched VM that owns its pCPUs, so
  // its launch takes the Service VM's vCPUs there offline.
  bool own_pcpu = false;
  // ACRN's hide_mtrr_support (GUEST_FLAG_HIDE_MTRR): the VM gets no virtual
  // MTRRs (vm_hide_mtrr), its MTRR MSRs are #GP.
  bool hide_mtrr = false;
  // What takes room in the VM's PCI memory windows beside its IVSHMEM
  // devices: devices passed through from the host (BDFs on the board, whose
  // BARs the board file sizes) and PCI vUARTs (two 4 KiB BARs each).
  std::vector<pci::Bdf> pci_devs;
  unsigned pci_vuarts = 0;
  // A post-launched VM's devices that acrn-dm emulates beside its IVSHMEM
  // devices (launch_cfg_gen.py's add_virtual_device), in launch order: each
  // takes its given slot, else the next free one from 3 (VirtualBDFAllocator).
  std::vector<DmDevice> dm_devices;
  // A post-launched VM booted by OVMF: its acrn-dm runs with --ovmf, which
  // puts every 64-bit BAR in the window above 4 GiB.
  bool ovmf = false;
};

// A VM with the fields every scenario sets; the rest keep their defaults.
inline VmConfig make_vm(unsigned id, std::string name, LoadOrder order, std::vector<unsigned> pcpus, u64 memory_mib) {
  VmConfig v;
  v.id = id;
  v.name = std::move(name);
  v.load_order = order;
  v.pcpus = std::move(pcpus);
  v.memory_mib = memory_mib;
  return v;
}

struct RegionMember {
  std::string vm;  // VM name
  pci::Bdf vbdf;   // where the device sits in that VM
};

struct RegionConfig {
  std::string name;  // without the hv:/ or dm:/ prefix
  Provider provider = Provider::hypervisor;
  u64 size_mib = 2;
  u16 region_id = 0;
  std::vector<RegionMember> members;
};

// A workload parameter after validation against the kind's parameter list.
struct ParamValue {
  enum class Type { integer, number, boolean, string } type = Type::integer;
  long long i = 0;
  double d = 0;
  bool b = false;
  std::string s;

  static ParamValue integer(long long v) {
    ParamValue p;
    p.i = v;
    return p;
  }
  static ParamValue text(std::string v) {
    ParamValue p;
    p.type = Type::string;
    p.s = std::move(v);
    return p;
  }
};

struct GuestRef {
  std::string vm;
  unsigned vcpu = 0;
};

struct WorkloadConfig {
  std::string name;                          // report name
  std::string kind;                          // workload library entry, e.g. "pingpong"; "lua" for a script
  std::string script;                        // a Lua guest program (kind "lua"): its path, as the run opens it
  std::string region;                        // region name the workload communicates through
  std::map<std::string, GuestRef> roles;     // role name -> where it runs
  std::map<std::string, ParamValue> params;  // resolved, defaults applied
  bool is_default = false;                   // added for a region no workload uses (not written by the user)
  std::string note;                          // why the twin chose it, for a workload it added ("" otherwise)
};

// Which sources of variation run (docs/realtime.md). A scenario file has
// them all on unless its `noise:` section says otherwise; a scenario built
// in C++ starts from off() (today's noiseless figures, which calibration uses).
struct NoiseConfig {
  bool guest_ticks = true;   // each VM's kernel tick, by its OS personality
  bool hv_ticks = true;      // the hypervisor's scheduler tick (SCHED_IORR)
  bool service_vm = true;    // the Service VM's background work
  bool dram_refresh = true;  // a rank unavailable for tRFC every tREFI
  bool row_buffer = true;    // open-row hits and conflicts in the DRAM latency
  bool contention = true;    // queueing for the LLC and the memory controller
  bool poll_phase = true;    // where in its spin loop a poller is when the store lands
  bool hv_console = true;    // a debug build's console timer on hypervisor.vuart_timer_pcpu
  // The Service VM's background work: every period_us its vCPU 0 wakes and
  // touches lines_per_wake lines, walking through working_set_kib.
  u64 service_vm_period_us = 4000;
  u64 service_vm_lines_per_wake = 256;
  u64 service_vm_working_set_kib = 4096;

  static NoiseConfig off() {
    NoiseConfig n;
    n.guest_ticks = n.hv_ticks = n.service_vm = n.dram_refresh = n.row_buffer = n.contention = n.poll_phase =
        n.hv_console = false;
    return n;
  }
  bool any() const {
    return guest_ticks || hv_ticks || service_vm || dram_refresh || row_buffer || contention || poll_phase ||
           hv_console;
  }
};

// ACRN's RDT switches (hv/FEATURES/RDT): cache allocation on (RDT_ENABLED),
// Code and Data Prioritization (CDP_ENABLED), virtual CAT (VCAT_ENABLED).
struct RdtConfig {
  bool enabled = false;
  bool cdp = false;
  bool vcat = false;
};

// ACRN's CacheType: the policy's mask covers both, or with CDP code or data.
enum class CachePolicyType { unified, code, data };
const char* to_string(CachePolicyType t);  // "Unified", "Code", "Data"

// One POLICY of a CACHE_ALLOCATION: the capacity bitmask a vCPU's class of
// service gets in that cache.
struct CachePolicy {
  std::string vm;  // VM name
  unsigned vcpu = 0;
  CachePolicyType type = CachePolicyType::unified;
  u64 clos_mask = 0;
};

// One CACHE_ALLOCATION (hv/CACHE_REGION): a cache of the board, by level and
// the board file's cache id, and its policies.
struct CacheAllocation {
  unsigned cache_id = 0;
  unsigned cache_level = 0;
  std::vector<CachePolicy> policies;
};

struct RunConfig {
  u64 seed = 1;
  u64 quantum_ns = 1000;   // tlm global quantum
  // A vCPU on a shared pCPU synchronises at least this often, so that a
  // preemption or a slice's end lands within it (PcpuScheduler).
  u64 shared_pcpu_quantum_ns = 100;
  u64 duration_us = 0;     // stop after this much simulated time; 0: when the workloads end
  u64 watchdog_ms = 1000;  // a run whose workloads make no progress for this long is stalled
};

struct Scenario {
  std::string name;
  std::string description;
  std::string source_file;                              // path it was loaded from ("" for built-in)
  std::string board;                                    // board name (named profile or ACRN board file)
  std::string timing_profile;                           // timing profile name, resolved from the board when empty
  std::map<std::string, std::string> timing_overrides;  // profile field -> value
  unsigned max_vm_num = 16;                             // CONFIG_MAX_VM_NUM
  unsigned max_emulated_mmio = 16;                      // CONFIG_MAX_EMULATED_MMIO_REGIONS: MMIO handler nodes per VM
  std::string scheduler = "SCHED_NOOP";
  // What a pCPU with no vCPU to run executes (ACRN's mode_to_idle,
  // cpu_do_idle): "HLT" halts the core in C1 until an interrupt (ACRN v3.3
  // and later, without KEEP_IRQ_DISABLED), "PAUSE" spins (v3.2 and earlier,
  // or KEEP_IRQ_DISABLED). A pCPU with a LAPIC-passthrough vCPU always spins.
  std::string idle = "HLT";
  // hv/FEATURES/SPLIT_LOCK_DETECTION_ENABLED and UC_LOCK_DETECTION_ENABLED
  // (config.xsd: both n by default): what they do on the board's CPU is
  // platforms/lock_detection.h's; the split lock of a one-vCPU VM is
  // emulated as ACRN does (Vcpu::bus_locked_cmpxchg), and a lock ACRN may
  // trap that the twin lets lock the bus warns (Vcpu::warn_lock_detection).
  bool split_lock_detection = false;
  bool uc_lock_detection = false;
  // hv/FEATURES/HYPERV_ENABLED (config.xsd: y by default): the Hyper-V
  // TLFS leaves VMs get from CPUID (hyperv_init_vcpuid_entry).
  bool hyperv = true;
  // hv/SERVICE_VM_SUPERVISOR_ENABLED (config.xsd: n by default): the
  // configurator's RTVM_SEVERITY_LEVEL falls from 0x30 to 0x10, below the
  // Service VM's 0x20 (misc_cfg.h.xsl, service_vm_super_role).
  bool service_vm_supervisor = false;
  // hv/FEATURES/MCE_ON_PSC_ENABLED (config.xsd from v3.1: y by default;
  // MCE_ON_PSC_DISABLED, n by default, before): ACRN's workaround for the
  // erratum "Machine Check Error on Page Size Change", which keeps an
  // RTVM's RAM in 4 KiB EPT pages on an affected CPU (platforms/ept_force_4k.h).
  bool mce_on_psc = true;
  // hv/BUILD_TYPE (config.xsd: debug by default): a debug build passes the
  // PMU through to a pre-launched RTVM (guest_flags.py: GUEST_FLAG_PMU_PASSTHROUGH).
  std::string build_type = "debug";
  // hv/FEATURES/VUART_TIMER_PCPU (config.xsd: 0 by default, one of the
  // board's pCPUs): where a debug build's console timer runs
  // (init_debug_post: console_setup_timer on VUART_TIMER_CPU).
  unsigned vuart_timer_pcpu = 0;
  // hv/DEBUG_OPTIONS (a debug build's console; config.xsd's defaults are
  // None and 5, ACRN's sample scenarios set /dev/ttyS0 and 3, as here):
  // SERIAL_CONSOLE, the host serial port the hypervisor's console drives
  // ("None": uart16550.c leaves the UART disabled, and no console output or
  // port read happens), and CONSOLE_LOGLEVEL, the highest severity
  // (LOG_FATAL 1 .. LOG_DEBUG 6) do_logmsg writes to it.
  std::string serial_console = "/dev/ttyS0";
  unsigned console_loglevel = 3;
  bool has_serial_console() const { return serial_console != "None"; }
  RdtConfig rdt;
  std::vector<CacheAllocation> cache_allocation;  // checked against the board by check_cache_allocation
  std::vector<VmConfig> vms;
  std::vector<RegionConfig> regions;
  std::vector<WorkloadConfig> workloads;
  NoiseConfig noise = NoiseConfig::off();
  RunConfig run;

  // Where each field came from ("vms[1].cpu_affinity" -> file:line:col), so
  // later stages (board checks, timing overrides) report located errors.
  std::map<std::string, SourceLocation> locations;
  SourceLocation where(const std::string& field_path) const {
    auto it = locations.find(field_path);
    return it == locations.end() ? SourceLocation{source_file, 0, 0} : it->second;
  }

  const VmConfig* find_vm(const std::string& name) const {
    for (const auto& v : vms)
      if (v.name == name) return &v;
    return nullptr;
  }
};

// The pCPUs whose Service VM vCPUs a post-launched VM's launch takes
// offline (ACRN's launch script, add_cpus and offline_cpus): those of an
// RTVM, of any post-launched VM under SCHED_NOOP, and of one with own_pcpu;
// never the Service VM's vCPU 0 ("processor 0 can't be offline").
std::set<unsigned> service_vm_offline_pcpus(const Scenario& s);

}  // namespace ivsim
