// The attacker workload: a guest that tries every way it could reach memory
// or interrupts it is not entitled to, and reports each attempt's outcome.
// What the guest itself sees decides where it can see (what its reads
// return); where it cannot (did a doorbell reach a stranger, did a refused
// hypercall change anything) the attacker asks the twin, as a test harness
// would look at the real system from outside. In a correct twin every
// attempt is contained but one, which ACRN itself leaves open: the
// APIC-access page every VM maps (apic_access_page below).
#include <fmt/format.h>

#include <stdexcept>
#include <string>

#include "models/core/metrics.h"
#include "models/cpu/vlapic.h"
#include "models/hv/hypercall_abi.h"
#include "models/pci/config_space.h"
#include "workloads/ivshmem_driver.h"
#include "workloads/measurements.h"
#include "workloads/noisy.h"
#include "workloads/pci_config.h"

namespace ivsim {

namespace {

constexpr u32 kBar2Lo = pci::kBar0 + 8, kBar2Hi = pci::kBar0 + 12;
constexpr u64 kRegionMarker = 0x5EC0'0000'0000ULL;    // | VM id: what the attacker left in its own region
constexpr u64 kRamMarker = 0xA11C'E000'0000ULL;       // what it left in its own RAM
constexpr u64 kApicPageMarker = 0xA91C'0000'0000ULL;  // | VM id: what it left at 0xFEE00000
constexpr u16 kMsixTableEntries = 8;                  // ACRN's hv-land table (ivshmem.h)

class Attacker {
 public:
  Attacker(Guest& g, const WorkloadContext& ctx, const IvshmemGuestDevice& dev) : g_(g), ctx_(ctx), dev_(dev) {}

  void run() {
    g_.store<u64>(dev_.shmem, kRegionMarker | ctx_.role_vm.at("attacker"));
    bar2_onto_ram();
    bar2_onto_bar0();
    doorbell_strangers();
    doorbell_peer_out_of_range();
    doorbell_vector_out_of_range();
    bar0_beyond_registers();
    msix_beyond_table();
    other_provider_region();
    apic_access_page();
    invd();
    hypercalls();
  }

 private:
  void verdict(const std::string& name, bool contained, const std::string& detail) {
    ctx_.metrics->finding("attack", name, contained, detail);
    ctx_.metrics->count(contained ? "attacks_contained" : "attacks_not_contained");
  }

  void move_bar2(Gpa to) {
    pci_cfg_write32(g_, dev_.bdf, kBar2Lo, static_cast<u32>(to) | 0xC);  // 64-bit prefetchable
    pci_cfg_write32(g_, dev_.bdf, kBar2Hi, static_cast<u32>(to >> 32));
  }
  u64 interrupts_everywhere() const {
    u64 n = 0;
    for (VmId v : ctx_.all_vms) n += ctx_.vm_interrupts(v);
    return n;
  }

  // BAR2 moved onto the guest's own RAM: the RAM mapping must win (ACRN's
  // pgtable_add_map leaves present entries), so the page still reads RAM.
  void bar2_onto_ram() {
    const Gpa page = scratch_gpa(g_);
    if (page % dev_.shmem_size != 0) {
      verdict("bar2_onto_ram", true, "not tried: no RAM aligned to BAR2's size at the scratch area");
      return;
    }
    g_.store<u64>(page, kRamMarker);
    move_bar2(page);
    const u64 seen = g_.load<u64>(page);
    move_bar2(dev_.shmem);
    const u64 own_region = kRegionMarker | ctx_.role_vm.at("attacker");
    const bool region_intact = g_.load<u64>(dev_.shmem) == own_region;
    // Its own RAM (ACRN's pgtable_add_map keeps present entries) or its own
    // region (the BAR mapped over the RAM): either is the guest's own.
    verdict(
        "bar2_onto_ram", (seen == kRamMarker || seen == own_region) && region_intact,
        fmt::format("BAR2 written to the guest's RAM at {:#x}: the page reads {:#x} ({}), the region {}", page, seen,
                    seen == kRamMarker   ? "its own RAM, which kept its mapping"
                    : seen == own_region ? "its own region, mapped over its RAM"
                                         : "neither its RAM nor its region",
                    region_intact ? "kept its data" : "lost its data"));
  }

  // BAR2 moved onto BAR0 (another BAR's range): the guest may shadow its own
  // registers (self-harm) but can only ever see its own region or registers.
  void bar2_onto_bar0() {
    const Gpa bar0 = dev_.regs & ~(dev_.shmem_size - 1);
    g_.store<u32>(dev_.shmem + (dev_.regs - bar0) + 8, 0);
    move_bar2(bar0);
    const u32 seen = g_.load<u32>(dev_.regs + 8);  // IVPosition, or what shadows it
    move_bar2(dev_.shmem);
    const u32 own = ctx_.role_vm.at("attacker");
    verdict("bar2_onto_other_bar", seen == own || seen == 0,
            fmt::format("BAR2 written over BAR0 at {:#x}: IVPosition's address reads {:#x} ({})", bar0, seen,
                        seen == own ? "the register"
                        : seen == 0 ? "its own region, shadowing the register"
                                    : "something that is neither"));
  }

  // Doorbells to every VM that is not a member of the region.
  void doorbell_strangers() {
    std::string rung;
    bool contained = true;
    for (VmId v : ctx_.all_vms) {
      bool member = false;
      for (const auto& [role, vm] : ctx_.role_vm) member |= vm == v;
      if (member) continue;
      const u64 before = ctx_.vm_interrupts(v);
      for (u16 vec = 0; vec < kMsixTableEntries; ++vec) ivshmem_write_doorbell(g_, dev_, v, vec);
      contained &= ctx_.vm_interrupts(v) == before;
      rung += (rung.empty() ? "" : ", ") + std::to_string(v);
    }
    verdict("doorbell_stranger", contained,
            rung.empty() ? "every VM is a member of the region: no stranger to ring"
                         : "rang VMs " + rung + " on every vector: " +
                               (contained ? "no interrupt reached them" : "an interrupt reached a stranger"));
  }

  void doorbell_peer_out_of_range() {
    const u64 before = interrupts_everywhere();
    for (u32 peer : {ctx_.max_vm_num, ctx_.max_vm_num + 1, 0xFFFFu}) ivshmem_write_doorbell(g_, dev_, peer, 0);
    const bool contained = interrupts_everywhere() == before;
    verdict("doorbell_peer_out_of_range", contained,
            fmt::format("peers {}, {} and 0xFFFF (CONFIG_MAX_VM_NUM {}): {}", ctx_.max_vm_num, ctx_.max_vm_num + 1,
                        ctx_.max_vm_num, contained ? "dropped" : "an interrupt was delivered"));
  }

  void doorbell_vector_out_of_range() {
    const u64 before = interrupts_everywhere();
    for (const auto& [role, vm] : ctx_.role_vm)
      for (u16 vec : {kMsixTableEntries, u16{9}, u16{0xFFFF}}) ivshmem_write_doorbell(g_, dev_, vm, vec);
    // The driver refuses them before any write.
    const int rc = ivshmem_int_peer(g_, dev_, ctx_.role_vm.at("attacker"), kMsixTableEntries);
    const bool contained = interrupts_everywhere() == before;
    verdict("doorbell_vector_out_of_range", contained,
            fmt::format("vectors 8, 9 and 0xFFFF to every member (the table has 8; ivshmem_int_peer says {}): {}", rc,
                        contained ? "dropped" : "an interrupt was delivered"));
  }

  // BAR0 beyond its four registers, and a write to the read-only IVPosition.
  // Each reserved register is read right after a marker goes to IntrMask: a
  // register that kept the all-ones reads them back, and a read no handler
  // serves returns what the access before it left in the vCPU's I/O request
  // (the hv-land handler does not set it), the marker.
  void bar0_beyond_registers() {
    const u64 before = interrupts_everywhere();
    const u32 intr_mask = g_.load<u32>(dev_.regs);
    u32 kept = 0, echoed = 0;
    for (u32 off = 0x10; off < 0x100; off += 4) g_.store<u32>(dev_.regs + off, 0xFFFF'FFFFu);
    for (u32 off = 0x10; off < 0x100; off += 4) {
      const u32 marker = 0xA5A5'0000u | off;
      g_.store<u32>(dev_.regs, marker);
      const u32 v = g_.load<u32>(dev_.regs + off);
      kept += v == 0xFFFF'FFFFu;
      echoed += v == marker;
    }
    g_.store<u32>(dev_.regs, intr_mask);
    g_.store<u32>(dev_.regs + 8, 0x7);
    const u32 id = ivshmem_get_id(g_, dev_);
    const u32 own = ctx_.role_vm.at("attacker");
    const bool contained = id == own && interrupts_everywhere() == before;
    verdict("bar0_beyond_registers", contained,
            fmt::format("wrote all-ones to BAR0 0x10-0xFC and 7 to IVPosition: of 60 reserved registers {} read the "
                        "all-ones back and {} the value of the access before them, IVPosition reads {} (own VM ID "
                        "{}), {} interrupt",
                        kept, echoed, id, own, interrupts_everywhere() == before ? "no" : "an"));
  }

  // MSI-X table entries past the 8 the device has, then doorbells on them.
  void msix_beyond_table() {
    if (dev_.n_vectors == 0) {
      verdict("msix_beyond_table", true, "not tried: the device has no MSI-X (a Device Model region)");
      return;
    }
    const u64 before = interrupts_everywhere();
    u32 nonzero = 0;
    for (u32 e = dev_.n_vectors; e < 2u * dev_.n_vectors; ++e) {
      const Gpa entry = dev_.msix_table + 16u * e;
      g_.store<u32>(entry + 0, static_cast<u32>(msi_address(g_.apic_id())));
      g_.store<u32>(entry + 8, 0x41);
      g_.store<u32>(entry + 12, 0);
      nonzero += g_.load<u32>(entry + 8) != 0;
      ivshmem_write_doorbell(g_, dev_, ctx_.role_vm.at("attacker"), static_cast<u16>(e));
    }
    const bool contained = interrupts_everywhere() == before;
    verdict("msix_beyond_table", contained,
            fmt::format("programmed entries {}-{} (the table has {}) and rang them: {} read back their data, {}",
                        dev_.n_vectors, 2 * dev_.n_vectors - 1, dev_.n_vectors, nonzero,
                        contained ? "no interrupt" : "an interrupt was delivered"));
  }

  // Every other IVSHMEM device the VM has (a same-named region of the other
  // provider among them) must show none of this region's data.
  void other_provider_region() {
    std::string seen;
    bool contained = true;
    for (const pci::Bdf& bdf : ivshmem_enumerate(g_)) {
      if (bdf == dev_.bdf) continue;
      const auto other = ivshmem_probe(g_, bdf);
      if (!other) continue;
      const u64 v = g_.load<u64>(other->shmem);
      const bool leaked = v == (kRegionMarker | ctx_.role_vm.at("attacker"));
      contained &= !leaked;
      seen += fmt::format("{}{} {}", seen.empty() ? "" : "; ", bdf.to_string(), leaked ? "shows it" : "does not");
    }
    verdict("other_provider_region", contained,
            seen.empty() ? "the VM has no other IVSHMEM device"
                         : "this region's data looked for behind the VM's other IVSHMEM devices: " + seen);
  }

  // The xAPIC page's address, 0xFEE00000, in x2APIC mode. ACRN's
  // vlapic_create maps one page of its own (vlapic_apicv_get_apic_access_addr,
  // a single static page) there in every VM's EPT, readable, writable and
  // UC, for the CPU's APIC-access virtualization; switch_apicv_mode_x2apic
  // turns that virtualization off and leaves the mapping. A load or store
  // there then reaches the page itself, which every other VM maps too: the
  // attacker leaves a marker and asks the twin which VMs read it at their
  // own 0xFEE00000. In xAPIC mode the access would be virtualized instead
  // (an exit, or the virtual-APIC page) and stay the VM's own.
  void apic_access_page() {
    const Gpa page = VLapic::kDefaultBase;  // identity-mapped UC by the guest (guest_paging_bring_up)
    const VmId own = ctx_.role_vm.at("attacker");
    const u64 before = g_.load<u64>(page);
    const u64 marker = kApicPageMarker | own;
    g_.store<u64>(page, marker);
    const u64 back = g_.load<u64>(page);
    std::string seen_by;
    for (VmId v : ctx_.all_vms) {
      u64 theirs = 0;
      if (v == own || !ctx_.vm_memory(v, page, &theirs, sizeof theirs) || theirs != marker) continue;
      seen_by += fmt::format("{}VM {}", seen_by.empty() ? "" : ", ", v);
    }
    verdict("apic_access_page", seen_by.empty(),
            fmt::format("in {} mode, 0xfee00000 read {:#x}, then {:#x} after a store of {:#x}; {}",
                        g_.x2apic_mode() ? "x2APIC" : "xAPIC", before, back, marker,
                        seen_by.empty() ? "no other VM reads it at its 0xfee00000"
                                        : seen_by + " read it at their 0xfee00000: the one APIC-access page "
                                                    "ACRN maps into every VM (vlapic_create), no longer "
                                                    "virtualized in x2APIC mode (switch_apicv_mode_x2apic)"));
  }

  // INVD would drop the modified lines of the caches it reaches unwritten,
  // other VMs' in the shared LLC too (on bare metal a line just written
  // reads memory's stale value after it). ACRN ignores it (unhandled_vmexit_handler): a line the
  // guest modified just before must still hit in its L1D, with its value.
  void invd() {
    const Gva line = dev_.shmem + kCacheLineBytes;
    const u64 marker = kRegionMarker | 0x1D;
    g_.store<u64>(line, marker);
    g_.invd();
    // A debug build's log of the exit held the vCPU for milliseconds: the
    // guest's timer ticks that came due meanwhile are taken first, so the
    // reload's time is the reload's own.
    g_.compute(1);
    const Timestamp t0 = g_.timestamp();
    const u64 seen = g_.load<u64>(line);
    const Breakdown reload = g_.timestamp().cumulative - t0.cumulative;
    const bool kept = reload.get(Component::dram) == 0;  // invalidated, it would come from memory
    verdict("invd", seen == marker && kept,
            fmt::format("a line written just before INVD reads {:#x} ({}) in {:.1f} ns ({})", seen,
                        seen == marker ? "its value" : "not its value", reload.total() / 1000.0,
                        kept ? "still in the caches: nothing was invalidated" : "it had left the caches"));
  }

  // Hypercalls only the Service VM may make: each must fault (#UD), fail, or
  // at least change nothing that exists.
  void hypercalls() {
    const struct {
      const char* name;
      u64 id;
    } calls[] = {{"HC_CREATE_VM", hc::kCreateVm},
                 {"HC_DESTROY_VM", hc::kDestroyVm},
                 {"HC_START_VM", hc::kStartVm},
                 {"HC_PAUSE_VM", hc::kPauseVm},
                 {"HC_RESET_VM", hc::kResetVm},
                 {"HC_SET_IOREQ_BUFFER", hc::kSetIoreqBuffer},
                 {"HC_VM_SET_MEMORY_REGIONS", hc::kVmSetMemoryRegions},
                 {"HC_ADD_VDEV", hc::kAddVdev},
                 {"HC_REMOVE_VDEV", hc::kRemoveVdev}};
    for (const auto& c : calls) {
      const std::string before = ctx_.platform_digest();
      std::string outcome;
      try {
        const i64 rc = g_.hypercall(c.id, 0, 0);
        outcome = rc < 0 ? fmt::format("{}", rc) : fmt::format("returned {}", rc);
      } catch (const GuestFault& f) {
        outcome = fmt::format("fault vector {}", f.vector);
      }
      const bool unchanged = ctx_.platform_digest() == before;
      verdict(std::string("hypercall ") + c.name, unchanged,
              outcome + (unchanged ? ", nothing changed (" + before + ")" : ", and it changed the platform"));
    }
  }

  Guest& g_;
  const WorkloadContext& ctx_;
  const IvshmemGuestDevice& dev_;
};

}  // namespace

void attacker(Guest& g, const WorkloadContext& ctx) {
  const auto dev = ivshmem_probe(g, ctx.ivshmem_bdf);
  if (!dev) throw std::runtime_error("no IVSHMEM device at " + ctx.ivshmem_bdf.to_string());
  Attacker(g, ctx, *dev).run();
}

}  // namespace ivsim
