#include "sim/scenario_loader.h"

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdio>
#include <map>
#include <regex>
#include <set>

#include "platforms/board.h"
#include "platforms/cache_allocation.h"
#include "platforms/input_file.h"
#include "platforms/timing_profile.h"
#include "platforms/xml_document.h"
#include "sim/acrn_config_checks.h"
#include "sim/scenario_fields.h"
#include "sim/scenario_fit.h"
#include "sim/scenario_noise.h"
#include "sim/scenario_workloads.h"
#include "sim/suggest.h"
#include "sim/yaml_reader.h"

namespace ivsim {

namespace {

bool is_word(const std::string& s, std::size_t max_len) {
  return !s.empty() && s.size() <= max_len &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalnum(c) || c == '_'; });
}

// ACRN's VMNameType (types.xsd: letters, digits, '_' and '-', at most
// kMaxVmNameChars).
bool is_vm_name(const std::string& s) {
  return !s.empty() && s.size() <= kMaxVmNameChars &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '-'; });
}

// ---------------------------------------------------------------------------
// Schema.

const std::vector<std::string> kTopKeys = {"name", "description", "board", "hypervisor", "timing",
                                           "vms",  "ivshmem",     "run",   "workloads", "noise"};
const std::vector<std::string> kHypervisorKeys = {
    "max_vm_num",           "max_emulated_mmio",     "scheduler",       "idle",
    "split_lock_detection", "uc_lock_detection",     "hyperv",          "rdt",
    "cache_allocation",     "service_vm_supervisor", "build_type",      "mce_on_psc",
    "vuart_timer_pcpu",     "serial_console",        "console_loglevel"};
const std::vector<std::string> kRdtKeys = {"enabled", "cdp", "vcat"};
const std::vector<std::string> kCacheAllocationKeys = {"cache_id", "cache_level", "policies"};
const std::vector<std::string> kCachePolicyKeys = {"vm", "vcpu", "type", "clos_mask"};
const std::vector<std::string> kCachePolicyTypes = {"Unified", "Code", "Data"};
const std::vector<std::string> kTimingKeys = {"profile", "overrides"};
const std::vector<std::string> kVmKeys = {"id",           "name",         "load_order",        "vm_type",
                                          "cpu_affinity", "memory_mib",   "lapic_passthrough", "priority",
                                          "bvt_weight",   "guest_paging", "guest_page_size",   "ept_max_page",
                                          "os",           "own_pcpu",     "hide_mtrr",         "pci_devs",
                                          "pci_vuarts",   "ovmf",         "dm_devices"};
const std::vector<std::string> kRegionKeys = {"name", "provider", "size_mib", "region_id", "members"};
const std::vector<std::string> kMemberKeys = {"vm", "vbdf"};
const std::vector<std::string> kDmDeviceKeys = {"kind", "vbdf"};
const std::vector<std::string> kRunKeys = {"seed", "quantum_ns", "shared_pcpu_quantum_ns", "duration_us",
                                           "watchdog_ms"};

const std::vector<std::string> kWorkloadsFileKeys = {"workloads", "run", "timing", "noise"};

const std::vector<std::string> kSchedulers = {"SCHED_NOOP", "SCHED_IORR", "SCHED_BVT", "SCHED_PRIO"};
const std::vector<std::string> kIdleModes = {"HLT", "PAUSE"};
const std::vector<std::string> kBuildTypes = {"debug", "release"};

// config.xsd's SerialConsoleType.
bool is_serial_console(const std::string& v) { return std::regex_match(v, std::regex(R"((.*ttyS[0-9]+)|None)")); }
const std::vector<std::string> kLoadOrders = {"PRE_LAUNCHED_VM", "SERVICE_VM", "POST_LAUNCHED_VM"};
const std::vector<std::string> kVmTypes = {"RTVM", "STANDARD_VM", "TEE_VM", "REE_VM"};
const std::vector<std::string> kProviders = {"Hypervisor", "Device Model"};

constexpr long long kMaxHvRegions = 8;  // ACRN hypervisor/dm/vpci/ivshmem.c: mem_regions[8]
constexpr unsigned kPostLaunchedMinDev = 0x03, kPostLaunchedMaxDev = 0x1E;
// The configurator's first IVSHMEM device number (its suggestion list and
// ACRN's upgrader both start at 00:08.0).
constexpr unsigned kFirstIvshmemDev = 0x08, kLastDev = 0x1F;
// ACRN sizes the Service VM at boot (the RAM no other VM claims), so its
// scenario XML has no memory element. The twin's Service VM runs only what a
// workload places on it, so a fixed size that every shipped board can hold.
constexpr long long kServiceVmDefaultMemoryMib = 1024;
// 1 TiB: past any board the twin models (the EPT page pools of that much
// RAM already overflow the hypervisor's 1 GiB); byte sizes of RAM stay far
// from 64-bit overflow.
constexpr long long kMaxVmMemoryMib = 1 << 20;

// Constructed before FieldReader, which records locations into it.
struct ScenarioUnderConstruction {
  Scenario s_;
};

class Loader : ScenarioUnderConstruction, FieldReader {
 public:
  Loader(const ScenarioTree& tree, std::vector<std::string>* warnings) : FieldReader(tree, warnings, s_.locations) {}

  Scenario load() {
    const Node& root = tree_.root;
    s_.source_file = tree_.file;
    check_text(root, "");
    if (root.kind != Node::Kind::mapping)
      fail(root.loc, "", "expected a mapping of scenario keys (name, board, vms, ...), got " + describe(root));
    check_keys(root, "", kTopKeys);

    s_.name = read_name(required(root, "", "name"), "name");
    if (const Node* d = optional(root, "description"); d && d->kind != Node::Kind::null)
      s_.description = read_string(*d, "description");
    const Node& board = required(root, "", "board");
    read_board(board);
    read_hypervisor(section(root, "", "hypervisor", Node::Kind::mapping));
    read_timing(section(root, "", "timing", Node::Kind::mapping));
    read_vms(required(root, "", "vms"));
    check_cache_allocation(
        s_, board_, [this](const std::string& path, const std::string& msg) { fail(s_.where(path), path, msg); });
    read_regions(section(root, "", "ivshmem", Node::Kind::list));
    read_scenario_workloads(tree_, warnings_, s_, section(root, "", "workloads", Node::Kind::list));
    read_run(section(root, "", "run", Node::Kind::mapping));
    s_.noise = read_noise(*this, optional(root, "noise"));
    check_scenario_fit(s_, board_, *this);
    for (const ConfiguratorFinding& f : acrn_configurator_findings(s_, board_))
      warn(s_.where(f.path), f.path,
           std::string(f.error ? "ACRN v3.3's configurator refuses to save this" : "ACRN v3.3's configurator warns") +
               " (" + f.check + "): " + f.message + "; the twin runs it as given");
    return std::move(s_);
  }

 private:
  // --- sections ------------------------------------------------------------

  // A shipped board name, or the path of an ACRN board file: relative paths
  // written in a scenario file are relative to that file's folder.
  void read_board(const Node& n) {
    s_.board = read_string(n, "board");
    if (is_xml_path(s_.board)) {
      if (n.loc.file == tree_.file && !s_.board.empty() && s_.board[0] != '/') {
        const auto slash = tree_.file.rfind('/');
        if (slash != std::string::npos) s_.board = tree_.file.substr(0, slash + 1) + s_.board;
      }
    } else {
      const std::vector<std::string> names = board_names();
      if (std::find(names.begin(), names.end(), s_.board) == names.end())
        fail(n.loc, "board",
             unknown("board", s_.board, names) +
                 (suggest(s_.board, names).empty() ? " (or the path of an ACRN board file, *.xml)" : ""));
    }
    board_ = load_board(s_.board, n.loc);
  }

  void read_hypervisor(const Node* h) {
    if (h) check_keys(*h, "hypervisor", kHypervisorKeys);
    if (const Node* n = h ? optional(*h, "max_vm_num") : nullptr)
      s_.max_vm_num = static_cast<unsigned>(read_int(*n, "hypervisor.max_vm_num", 1, 64, "VMs"));
    else
      note_default(h, "hypervisor.max_vm_num");
    // config.xsd: MAX_EMULATED_MMIO is an integer from 1 to 128.
    if (const Node* n = h ? optional(*h, "max_emulated_mmio") : nullptr)
      s_.max_emulated_mmio = static_cast<unsigned>(read_int(*n, "hypervisor.max_emulated_mmio", 1, 128, "nodes"));
    else
      note_default(h, "hypervisor.max_emulated_mmio");
    if (const Node* n = h ? optional(*h, "scheduler") : nullptr)
      s_.scheduler = read_choice(*n, "hypervisor.scheduler", kSchedulers);
    else
      note_default(h, "hypervisor.scheduler");
    if (const Node* n = h ? optional(*h, "idle") : nullptr)
      s_.idle = read_choice(*n, "hypervisor.idle", kIdleModes);
    else
      note_default(h, "hypervisor.idle");
    if (const Node* n = h ? optional(*h, "split_lock_detection") : nullptr)
      s_.split_lock_detection = read_bool(*n, "hypervisor.split_lock_detection");
    if (const Node* n = h ? optional(*h, "uc_lock_detection") : nullptr)
      s_.uc_lock_detection = read_bool(*n, "hypervisor.uc_lock_detection");
    if (const Node* n = h ? optional(*h, "hyperv") : nullptr) s_.hyperv = read_bool(*n, "hypervisor.hyperv");
    if (const Node* n = h ? optional(*h, "service_vm_supervisor") : nullptr)
      s_.service_vm_supervisor = read_bool(*n, "hypervisor.service_vm_supervisor");
    if (const Node* n = h ? optional(*h, "build_type") : nullptr)
      s_.build_type = read_choice(*n, "hypervisor.build_type", kBuildTypes);
    if (const Node* n = h ? optional(*h, "mce_on_psc") : nullptr)
      s_.mce_on_psc = read_bool(*n, "hypervisor.mce_on_psc");
    if (const Node* n = h ? optional(*h, "vuart_timer_pcpu") : nullptr) {
      // config.xsd offers the board's pCPUs (acrn:options: its thread cpu_ids).
      s_.vuart_timer_pcpu = static_cast<unsigned>(read_int(*n, "hypervisor.vuart_timer_pcpu", 0, 65535, "(a pCPU id)"));
      if (!board_.find_pcpu(s_.vuart_timer_pcpu))
        fail(n->loc, "hypervisor.vuart_timer_pcpu",
             "pCPU " + std::to_string(s_.vuart_timer_pcpu) + " does not exist on board " + board_.name + " (pCPUs " +
                 pcpu_list(all_pcpus()) + ")");
    }
    if (const Node* n = h ? optional(*h, "serial_console") : nullptr) {
      s_.serial_console = read_string(*n, "hypervisor.serial_console");
      if (!is_serial_console(s_.serial_console))
        fail(n->loc, "hypervisor.serial_console",
             "expected None or a serial device such as /dev/ttyS0 (config.xsd's SerialConsoleType, .*ttyS[0-9]+), "
             "got \"" +
                 s_.serial_console + "\"");
    }
    if (const Node* n = h ? optional(*h, "console_loglevel") : nullptr)
      s_.console_loglevel =
          static_cast<unsigned>(read_int(*n, "hypervisor.console_loglevel", 0, 5, "(config.xsd's LogLevelType)"));
    read_rdt(h);
  }

  // ACRN's hv/FEATURES/RDT and hv/CACHE_REGION; checked against the board
  // and the VMs once they are read (check_cache_allocation).
  void read_rdt(const Node* h) {
    const Node* r = h ? section(*h, "hypervisor", "rdt", Node::Kind::mapping) : nullptr;
    if (r) {
      check_keys(*r, "hypervisor.rdt", kRdtKeys);
      if (const Node* n = optional(*r, "enabled")) s_.rdt.enabled = read_bool(*n, "hypervisor.rdt.enabled");
      if (const Node* n = optional(*r, "cdp")) s_.rdt.cdp = read_bool(*n, "hypervisor.rdt.cdp");
      if (const Node* n = optional(*r, "vcat")) s_.rdt.vcat = read_bool(*n, "hypervisor.rdt.vcat");
    }
    for (const char* f : {"hypervisor.rdt.enabled", "hypervisor.rdt.cdp", "hypervisor.rdt.vcat"})
      if (!s_.locations.count(f)) note_default(r ? r : h, f);
    const Node* list = h ? section(*h, "hypervisor", "cache_allocation", Node::Kind::list) : nullptr;
    if (!list) return;
    const std::string lp = "hypervisor.cache_allocation";
    note(lp, list->loc);
    for (std::size_t i = 0; i < list->items.size(); ++i) {
      const Node& n = list->items[i];
      const std::string p = path_at(lp, i);
      expect(n, p, Node::Kind::mapping);
      check_keys(n, p, kCacheAllocationKeys);
      CacheAllocation a;
      a.cache_id = static_cast<unsigned>(read_int(required(n, p, "cache_id"), p + ".cache_id", 0, 0xFFFFFFFFLL));
      a.cache_level = static_cast<unsigned>(read_int(required(n, p, "cache_level"), p + ".cache_level", 2, 3));
      const Node& policies = required(n, p, "policies");
      const std::string pl = p + ".policies";
      expect(policies, pl, Node::Kind::list);
      if (policies.items.empty()) fail(policies.loc, pl, "expected at least one policy");
      for (std::size_t j = 0; j < policies.items.size(); ++j) {
        const Node& q = policies.items[j];
        const std::string pp = path_at(pl, j);
        expect(q, pp, Node::Kind::mapping);
        check_keys(q, pp, kCachePolicyKeys);
        CachePolicy pol;
        pol.vm = read_string(required(q, pp, "vm"), pp + ".vm");
        pol.vcpu = static_cast<unsigned>(read_int(required(q, pp, "vcpu"), pp + ".vcpu", 0, 63));
        if (const Node* t = optional(q, "type")) {
          const std::string type = read_choice(*t, pp + ".type", kCachePolicyTypes);
          pol.type = type == "Code"   ? CachePolicyType::code
                     : type == "Data" ? CachePolicyType::data
                                      : CachePolicyType::unified;
        } else {
          note_default(&q, pp + ".type");
        }
        pol.clos_mask = read_u64(required(q, pp, "clos_mask"), pp + ".clos_mask");
        a.policies.push_back(std::move(pol));
      }
      s_.cache_allocation.push_back(std::move(a));
    }
  }

  void read_timing(const Node* t) {
    if (!t) return;
    check_keys(*t, "timing", kTimingKeys);
    if (const Node* n = optional(*t, "profile"); n && n->kind != Node::Kind::null)
      s_.timing_profile = read_name(*n, "timing.profile");
    if (const Node* o = section(*t, "timing", "overrides", Node::Kind::mapping)) {
      // Field names and values are checked against the timing profile later;
      // the locations recorded here let that stage point at the line.
      for (std::size_t i = 0; i < o->keys.size(); ++i) {
        const std::string path = "timing.overrides." + o->keys[i];
        const Node& v = o->items[i];
        if (v.kind != Node::Kind::scalar) fail(v.loc, path, "expected a scalar value, got " + describe(v));
        s_.timing_overrides[o->keys[i]] = v.text;
        note(path, v.loc);
      }
    }
  }

  void read_vms(const Node& list) {
    expect(list, "vms", Node::Kind::list);
    if (list.items.empty()) fail(list.loc, "vms", "expected at least one VM");
    std::string service_vm;         // path of the Service VM, once seen
    const Node* service = nullptr;  // its mapping when it has no cpu_affinity
    for (std::size_t i = 0; i < list.items.size(); ++i) {
      const Node& n = list.items[i];
      const std::string p = path_at("vms", i);
      expect(n, p, Node::Kind::mapping);
      check_keys(n, p, kVmKeys);
      VmConfig vm;

      const Node& id = required(n, p, "id");
      const long long id_value = read_int(id, p + ".id", 0, 63);
      if (id_value >= static_cast<long long>(s_.max_vm_num))
        fail(id.loc, p + ".id",
             "VM id must be less than " + ref("hypervisor.max_vm_num") + " (" + std::to_string(s_.max_vm_num) +
                 "), got " + id.text);
      vm.id = static_cast<unsigned>(id_value);
      for (std::size_t j = 0; j < s_.vms.size(); ++j)
        if (s_.vms[j].id == vm.id)
          fail(id.loc, p + ".id",
               "duplicate VM id " + std::to_string(vm.id) + " (also used by " + ref(path_at("vms", j)) + ")");

      const Node& name = required(n, p, "name");
      vm.name = read_string(name, p + ".name");
      if (!is_vm_name(vm.name))
        fail(
            name.loc, p + ".name",
            "VM name must be 1-" + std::to_string(kMaxVmNameChars) + " letters, digits, _ or -, got " + quote(vm.name));
      for (std::size_t j = 0; j < s_.vms.size(); ++j)
        if (s_.vms[j].name == vm.name)
          fail(name.loc, p + ".name",
               "duplicate VM name " + quote(vm.name) + " (also used by " + ref(path_at("vms", j)) + ")");

      const Node& lo = required(n, p, "load_order");
      const std::string order = read_choice(lo, p + ".load_order", kLoadOrders);
      vm.load_order = order == "PRE_LAUNCHED_VM" ? LoadOrder::pre_launched
                      : order == "SERVICE_VM"    ? LoadOrder::service_vm
                                                 : LoadOrder::post_launched;
      const bool is_service = vm.load_order == LoadOrder::service_vm;
      if (is_service) {
        if (!service_vm.empty())
          fail(lo.loc, p + ".load_order", "only one SERVICE_VM is allowed (" + service_vm + " is already one)");
        service_vm = ref(p);
      }

      if (const Node* t = optional(n, "vm_type"))
        vm.vm_type = read_choice(*t, p + ".vm_type", kVmTypes);
      else
        note_default(&n, p + ".vm_type");

      const Node* aff = is_service ? optional(n, "cpu_affinity") : &required(n, p, "cpu_affinity");
      if (aff)
        read_cpu_affinity(*aff, p + ".cpu_affinity", vm);
      else
        service = &n;

      if (const Node* m = is_service ? optional(n, "memory_mib") : &required(n, p, "memory_mib")) {
        vm.memory_mib = static_cast<u64>(read_int(*m, p + ".memory_mib", 16, kMaxVmMemoryMib, "MiB"));
      } else {
        vm.memory_mib = kServiceVmDefaultMemoryMib;
        note_default(&n, p + ".memory_mib");
      }

      if (const Node* l = optional(n, "lapic_passthrough"))
        vm.lapic_passthrough = read_bool(*l, p + ".lapic_passthrough");
      else
        note_default(&n, p + ".lapic_passthrough");
      read_vm_translation_and_scheduling(n, p, vm);
      read_vm_pci(n, p, vm);

      s_.vms.push_back(std::move(vm));
    }
    if (service) default_service_vm_affinity(*service);
  }

  void read_cpu_affinity(const Node& aff, const std::string& ap, VmConfig& vm) {
    expect(aff, ap, Node::Kind::list);
    if (aff.items.empty()) fail(aff.loc, ap, "expected at least one pCPU");
    for (std::size_t j = 0; j < aff.items.size(); ++j) {
      const std::string cp = path_at(ap, j);
      const auto pcpu = static_cast<unsigned>(read_int(aff.items[j], cp, 0, 65535, "(a pCPU id)"));
      if (!board_.find_pcpu(pcpu))
        fail(aff.items[j].loc, cp,
             "pCPU " + std::to_string(pcpu) + " does not exist on board " + board_.name + " (pCPUs " +
                 pcpu_list(all_pcpus()) + ")");
      for (std::size_t k = 0; k < vm.pcpus.size(); ++k)
        if (vm.pcpus[k] == pcpu)
          fail(aff.items[j].loc, cp,
               "pCPU " + std::to_string(pcpu) + " is listed twice (also " + path_at("cpu_affinity", k) + ")");
      vm.pcpus.push_back(pcpu);
    }
    // create_vm makes one vCPU per bit of the affinity bitmap, lowest pCPU
    // first (ffs64), for a post-launched VM too (acrn-dm's bitmap comes from
    // launch_cfg_gen.py's sorted list): vCPU i is on the i-th lowest pCPU.
    if (!std::is_sorted(vm.pcpus.begin(), vm.pcpus.end())) {
      std::sort(vm.pcpus.begin(), vm.pcpus.end());
      warn(aff.loc, ap,
           "ACRN creates a VM's vCPUs in ascending pCPU order (create_vm), so vCPU 0 runs on pCPU " +
               std::to_string(vm.pcpus.front()) + ", not on the first pCPU listed");
    }
  }

  // As ACRN's configurator (static_allocators/cpu_affinity.py): a Service VM
  // without cpu_affinity gets every pCPU of the board that no pre-launched VM
  // uses, in ascending order.
  void default_service_vm_affinity(const Node& n) {
    std::set<unsigned> free;
    for (unsigned p : all_pcpus()) free.insert(p);
    for (const auto& vm : s_.vms)
      if (vm.load_order == LoadOrder::pre_launched)
        for (unsigned p : vm.pcpus) free.erase(p);
    for (std::size_t i = 0; i < s_.vms.size(); ++i) {
      VmConfig& vm = s_.vms[i];
      if (vm.load_order != LoadOrder::service_vm) continue;
      const std::string p = path_at("vms", i);
      if (free.empty())
        fail(n.loc, p,
             "the Service VM has no cpu_affinity and pre-launched VMs use every pCPU of board " + board_.name +
                 "; give it cpu_affinity");
      vm.pcpus.assign(free.begin(), free.end());
      note_default(&n, p + ".cpu_affinity");
      for (std::size_t j = 0; j < vm.pcpus.size(); ++j) note_default(&n, path_at(p + ".cpu_affinity", j));
    }
  }

  std::vector<unsigned> all_pcpus() const {
    std::vector<unsigned> ids;
    for (const auto& p : board_.pcpus) ids.push_back(p.id);
    std::sort(ids.begin(), ids.end());
    return ids;
  }

  // "0-7", or "0, 2, 4" when not contiguous.
  static std::string pcpu_list(const std::vector<unsigned>& ids) {
    if (ids.empty()) return "none";
    if (ids.back() - ids.front() + 1 == ids.size())
      return std::to_string(ids.front()) + "-" + std::to_string(ids.back());
    std::vector<std::string> s;
    for (unsigned id : ids) s.push_back(std::to_string(id));
    return join_list(s);
  }

  std::vector<std::string> vm_names() const {
    std::vector<std::string> v;
    for (const auto& vm : s_.vms) v.push_back(vm.name);
    return v;
  }

  struct PendingVbdf {
    std::size_t region, member;
    const Node* node;  // the member's mapping
  };

  void read_regions(const Node* list) {
    if (!list) return;
    std::map<std::string, std::map<u16, std::string>> vbdf_users;  // VM -> VBDF -> member path
    // acrn-dm devices given a VBDF hold it: an IVSHMEM device cannot have it.
    for (std::size_t v = 0; v < s_.vms.size(); ++v)
      for (std::size_t k = 0; k < s_.vms[v].dm_devices.size(); ++k)
        if (const auto& vbdf = s_.vms[v].dm_devices[k].vbdf)
          vbdf_users[s_.vms[v].name][vbdf->value()] = ref(path_at(path_at("vms", v) + ".dm_devices", k));
    std::map<std::string, std::string> names[2];                   // per provider: name -> region path
    std::vector<PendingVbdf> pending;
    long long hv_regions = 0;
    for (std::size_t i = 0; i < list->items.size(); ++i) {
      const Node& n = list->items[i];
      const std::string p = path_at("ivshmem", i);
      expect(n, p, Node::Kind::mapping);
      check_keys(n, p, kRegionKeys);
      RegionConfig r;

      const Node& name = required(n, p, "name");
      r.name = read_string(name, p + ".name");
      if (!is_word(r.name, 27))
        fail(name.loc, p + ".name",
             "region name must be 1-27 word characters (letters, digits, _), got " + quote(r.name));

      if (const Node* pr = optional(n, "provider"))
        r.provider = read_choice(*pr, p + ".provider", kProviders) == "Hypervisor" ? Provider::hypervisor
                                                                                   : Provider::device_model;
      else
        note_default(&n, p + ".provider");
      const bool hv = r.provider == Provider::hypervisor;
      if (hv && ++hv_regions > kMaxHvRegions)
        fail(n.loc, p,
             "at most " + std::to_string(kMaxHvRegions) +
                 " Hypervisor regions are supported (ACRN's mem_regions[8]); this is the " +
                 std::to_string(hv_regions) + "th");
      auto& seen = names[hv ? 0 : 1];
      if (auto it = seen.find(r.name); it != seen.end())
        fail(name.loc, p + ".name",
             std::string("duplicate ") + (hv ? "Hypervisor" : "Device Model") + " region name " + quote(r.name) +
                 " (also " + it->second + ")");
      seen[r.name] = ref(p);

      const Node& size = required(n, p, "size_mib");
      long long size_mib = 0;
      if (!read_int_value(size, p + ".size_mib", size_mib) || size_mib < 2 || size_mib > 512 ||
          !is_power_of_two(static_cast<u64>(size_mib)))
        fail(size.loc, p + ".size_mib",
             "size must be one of 2, 4, 8, 16, 32, 64, 128, 256, 512 (MiB), got " + size.text);
      r.size_mib = static_cast<u64>(size_mib);

      if (const Node* id = optional(n, "region_id"))
        r.region_id = static_cast<u16>(read_int(*id, p + ".region_id", 0, 65535));
      else
        note_default(&n, p + ".region_id");

      const Node& members = required(n, p, "members");
      const std::string mp = p + ".members";
      expect(members, mp, Node::Kind::list);
      for (std::size_t j = 0; j < members.items.size(); ++j) {
        bool has_vbdf = true;
        r.members.push_back(read_member(members.items[j], path_at(mp, j), r, vbdf_users, has_vbdf));
        if (!has_vbdf) pending.push_back({i, j, &members.items[j]});
      }
      if (members.items.size() < 2)
        warn(members.loc, mp,
             "region has " + std::to_string(members.items.size()) +
                 (members.items.size() == 1 ? " member" : " members") + "; fewer than 2 means no other VM shares it");

      s_.regions.push_back(std::move(r));
    }
    assign_vbdfs(pending, vbdf_users);
  }

  RegionMember read_member(const Node& n, const std::string& p, const RegionConfig& r,
                           std::map<std::string, std::map<u16, std::string>>& vbdf_users, bool& has_vbdf) {
    expect(n, p, Node::Kind::mapping);
    check_keys(n, p, kMemberKeys);
    RegionMember m;

    const Node& vm_node = required(n, p, "vm");
    m.vm = read_string(vm_node, p + ".vm");
    const VmConfig* vm = s_.find_vm(m.vm);
    if (!vm) fail(vm_node.loc, p + ".vm", unknown("VM", m.vm, vm_names()));
    for (std::size_t k = 0; k < r.members.size(); ++k)
      if (r.members[k].vm == m.vm)
        fail(vm_node.loc, p + ".vm",
             "VM " + quote(m.vm) + " is already a member of this region (" + path_at("members", k) + ")");
    if (r.provider == Provider::device_model && vm->load_order != LoadOrder::post_launched)
      fail(vm_node.loc, p + ".vm",
           "a Device Model region can only have POST_LAUNCHED_VM members; " + quote(m.vm) + " is " +
               to_string(vm->load_order));

    // Left out or blank, as the configurator allows: assigned once every
    // region is read, so the VBDFs written explicitly keep theirs.
    const Node* vbdf_node = optional(n, "vbdf");
    if (!vbdf_node || vbdf_node->kind == Node::Kind::null ||
        (vbdf_node->kind == Node::Kind::scalar && vbdf_node->text.empty())) {
      has_vbdf = false;
      return m;
    }
    const std::string text = read_string(*vbdf_node, p + ".vbdf");
    const auto bdf = pci::Bdf::parse(text);
    if (!bdf)
      fail(vbdf_node->loc, p + ".vbdf",
           "expected a VBDF \"BB:DD.F\" in hex (device 00-1F, function 0-7, e.g. \"00:08.0\"), got " + quote(text));
    m.vbdf = *bdf;
    if (m.vbdf.bus != 0)
      fail(vbdf_node->loc, p + ".vbdf",
           "bus " + text.substr(0, text.find(':')) +
               ": guests enumerate PCI bus 0, where ACRN puts its virtual devices; use bus 00");
    if (vm->load_order == LoadOrder::post_launched &&
        (m.vbdf.dev < kPostLaunchedMinDev || m.vbdf.dev > kPostLaunchedMaxDev)) {
      char dev[8];
      std::snprintf(dev, sizeof dev, "0x%02X", static_cast<unsigned>(m.vbdf.dev));
      fail(vbdf_node->loc, p + ".vbdf",
           std::string("device number ") + dev + " is not allowed in a post-launched VM (must be 0x03-0x1E)");
    }
    auto& used = vbdf_users[m.vm];
    std::string user = ref(p);
    if (vm->load_order == LoadOrder::post_launched && m.vbdf.fn != 0) {
      // A post-launched VM's IVSHMEM devices come from its launch script,
      // which gives acrn-dm each one's slot only (launch_cfg_gen.py,
      // get_slot_by_vbdf: "-s <slot>,ivshmem,..."): acrn-dm creates the
      // device at function 0 of that slot (pci_parse_slot), and for an
      // hv-land one create_ivshmem_vdev takes acrn-dm's BDF. The twin puts
      // it there too.
      const pci::Bdf slot{0, m.vbdf.dev, 0};
      const std::string given = m.vbdf.to_string();
      if (auto it = used.find(slot.value()); it != used.end())
        fail(vbdf_node->loc, p + ".vbdf",
             "VM " + quote(m.vm) + " is post-launched: ACRN's launch script passes acrn-dm only the slot of " + given +
                 ", so acrn-dm creates the device at " + slot.to_string() + ", which " + it->second +
                 " holds, and exits (\"pci slot " + std::to_string(slot.dev) +
                 ":0 already occupied!\"); use another device number");
      warn(vbdf_node->loc, p + ".vbdf",
           "VM " + quote(m.vm) + " is post-launched: ACRN's launch script passes acrn-dm only the slot of " + given +
               ", so the device is at " + slot.to_string() + " in the guest; the twin puts it there");
      m.vbdf = slot;
      user += " (given " + given + ", which acrn-dm puts at " + slot.to_string() + ")";
    }
    if (auto it = used.find(m.vbdf.value()); it != used.end())
      fail(vbdf_node->loc, p + ".vbdf",
           "VBDF " + m.vbdf.to_string() + " is already used in VM " + quote(m.vm) + " by " + it->second);
    used[m.vbdf.value()] = user;
    return m;
  }

  // As the configurator does when it saves: the lowest device number from
  // 00:08.0 upward that no other device of that VM uses, function 0; in the
  // Service VM, none its board lists either (vbdf_assignment.xsd).
  void assign_vbdfs(const std::vector<PendingVbdf>& pending,
                    std::map<std::string, std::map<u16, std::string>>& vbdf_users) {
    for (const PendingVbdf& pv : pending) {
      RegionMember& m = s_.regions[pv.region].members[pv.member];
      const VmConfig* vm = s_.find_vm(m.vm);
      const unsigned last = vm->load_order == LoadOrder::post_launched ? kPostLaunchedMaxDev : kLastDev;
      const std::string p = path_at(path_at("ivshmem", pv.region) + ".members", pv.member);
      auto& used = vbdf_users[m.vm];
      bool found = false;
      for (unsigned dev = kFirstIvshmemDev; dev <= last && !found; ++dev) {
        const pci::Bdf bdf{0, static_cast<u8>(dev), 0};
        if (used.count(bdf.value())) continue;
        if (vm->load_order == LoadOrder::service_vm && board_.pci.listed.count(bdf.value())) continue;
        m.vbdf = bdf;
        used[bdf.value()] = ref(p);
        found = true;
      }
      if (!found)
        fail(pv.node->loc, p + ".vbdf",
             "no free device number left for an IVSHMEM device in VM " + quote(m.vm) + "; give the VBDF");
      note(p + ".vbdf", pv.node->loc);
    }
  }

  // What else holds BARs in the VM, and how a post-launched VM boots: all optional.
  void read_vm_pci(const Node& n, const std::string& p, VmConfig& vm) {
    if (const Node* list = optional(n, "pci_devs")) {
      expect(*list, p + ".pci_devs", Node::Kind::list);
      for (std::size_t j = 0; j < list->items.size(); ++j) {
        const std::string q = path_at(p + ".pci_devs", j);
        const std::string text = read_string(list->items[j], q);
        const auto bdf = pci::Bdf::parse(text);
        if (!bdf)
          fail(list->items[j].loc, q,
               "expected the BDF of a device on the board, \"BB:DD.F\" in hex (e.g. \"00:1f.6\"), got " + quote(text));
        for (std::size_t k = 0; k < vm.pci_devs.size(); ++k)
          if (vm.pci_devs[k] == *bdf)
            fail(list->items[j].loc, q, "device " + text + " is already " + ref(path_at(p + ".pci_devs", k)));
        // pci_config.xsd: a device is passed through to one VM at most.
        for (std::size_t v = 0; v < s_.vms.size(); ++v)
          for (std::size_t k = 0; k < s_.vms[v].pci_devs.size(); ++k)
            if (s_.vms[v].pci_devs[k] == *bdf)
              fail(list->items[j].loc, q,
                   "device " + text + " is already passed through to VM " + quote(s_.vms[v].name) + " (" +
                       ref(path_at(path_at("vms", v) + ".pci_devs", k)) + "); a device goes to one VM only");
        vm.pci_devs.push_back(*bdf);
      }
    } else {
      note_default(&n, p + ".pci_devs");
    }
    if (const Node* x = optional(n, "pci_vuarts"))
      vm.pci_vuarts = static_cast<unsigned>(read_int(*x, p + ".pci_vuarts", 0, 64));
    else
      note_default(&n, p + ".pci_vuarts");
    if (const Node* list = optional(n, "dm_devices")) read_dm_devices(*list, p, vm);
    if (const Node* x = optional(n, "ovmf")) {
      vm.ovmf = read_bool(*x, p + ".ovmf");
      if (vm.ovmf && vm.load_order != LoadOrder::post_launched)
        fail(x->loc, p + ".ovmf",
             "OVMF boots a post-launched VM (acrn-dm's --ovmf); this VM is " + std::string(to_string(vm.load_order)));
    } else {
      note_default(&n, p + ".ovmf");
    }
  }

  // acrn-dm's emulated devices: each a kind, or {kind, vbdf}.
  void read_dm_devices(const Node& list, const std::string& p, VmConfig& vm) {
    const std::string lp = p + ".dm_devices";
    expect(list, lp, Node::Kind::list);
    if (vm.load_order != LoadOrder::post_launched && !list.items.empty())
      fail(list.loc, lp,
           "acrn-dm emulates devices for post-launched VMs only; this VM is " + std::string(to_string(vm.load_order)));
    for (std::size_t j = 0; j < list.items.size(); ++j) {
      const Node& item = list.items[j];
      const std::string q = path_at(lp, j);
      DmDevice d;
      const Node* kind = &item;
      const Node* vbdf = nullptr;
      if (item.kind == Node::Kind::mapping) {
        check_keys(item, q, kDmDeviceKeys);
        kind = &required(item, q, "kind");
        vbdf = optional(item, "vbdf");
      }
      const std::string kq = item.kind == Node::Kind::mapping ? q + ".kind" : q;
      d.kind = read_string(*kind, kq);
      if (!is_dm_device_kind(d.kind)) fail(kind->loc, kq, unknown("acrn-dm device", d.kind, dm_device_kinds()));
      if (vbdf) {
        const std::string text = read_string(*vbdf, q + ".vbdf");
        const auto bdf = pci::Bdf::parse(text);
        if (!bdf || bdf->bus != 0 || bdf->dev < kPostLaunchedMinDev || bdf->dev > kPostLaunchedMaxDev)
          fail(vbdf->loc, q + ".vbdf",
               "expected a VBDF \"00:DD.F\" in hex with device 03-1E (acrn-dm's free slots), got " + quote(text));
        for (std::size_t k = 0; k < vm.dm_devices.size(); ++k)
          if (vm.dm_devices[k].vbdf == *bdf)
            fail(vbdf->loc, q + ".vbdf", "VBDF " + text + " is already " + ref(path_at(lp, k)) + "'s");
        d.vbdf = *bdf;
      }
      vm.dm_devices.push_back(std::move(d));
    }
  }

  // Scheduling weights and page sizes: all optional.
  void read_vm_translation_and_scheduling(const Node& n, const std::string& p, VmConfig& vm) {
    if (const Node* x = optional(n, "priority"))
      vm.priority = static_cast<int>(read_int(*x, p + ".priority", 0, 255));
    else
      note_default(&n, p + ".priority");
    if (const Node* x = optional(n, "bvt_weight"))
      vm.bvt_weight = static_cast<unsigned>(read_int(*x, p + ".bvt_weight", 1, 1024));
    else
      note_default(&n, p + ".bvt_weight");
    if (const Node* x = optional(n, "guest_paging"))
      vm.guest_paging = read_bool(*x, p + ".guest_paging");
    else
      note_default(&n, p + ".guest_paging");
    if (const Node* x = optional(n, "own_pcpu"))
      vm.own_pcpu = read_bool(*x, p + ".own_pcpu");
    else
      note_default(&n, p + ".own_pcpu");
    if (const Node* x = optional(n, "hide_mtrr"))
      vm.hide_mtrr = read_bool(*x, p + ".hide_mtrr");
    else
      note_default(&n, p + ".hide_mtrr");
    auto page = [&](const char* key, u64& out) {
      const Node* x = optional(n, key);
      if (!x) {
        note_default(&n, p + "." + key);
        return;
      }
      const std::string v = read_string(*x, p + "." + key);
      if (v == "4K")
        out = kPageSize4K;
      else if (v == "2M")
        out = kPageSize2M;
      else if (v == "1G")
        out = kPageSize1G;
      else
        fail(x->loc, p + "." + key, "expected one of 4K, 2M, 1G, got " + quote(v));
    };
    page("guest_page_size", vm.guest_page_size);
    page("ept_max_page", vm.ept_max_page);
    if (const Node* x = optional(n, "os"))
      vm.os = read_choice(*x, p + ".os", {"bare", "zephyr", "linux-uio", "windows"});
    else
      note_default(&n, p + ".os");
  }

  void read_run(const Node* r) {
    if (r) check_keys(*r, "run", kRunKeys);
    if (const Node* n = r ? optional(*r, "seed") : nullptr)
      s_.run.seed = read_u64(*n, "run.seed");
    else
      note_default(r, "run.seed");
    if (const Node* n = r ? optional(*r, "quantum_ns") : nullptr)
      s_.run.quantum_ns = static_cast<u64>(read_int(*n, "run.quantum_ns", 1, 1000000, "ns"));
    else
      note_default(r, "run.quantum_ns");
    if (const Node* n = r ? optional(*r, "shared_pcpu_quantum_ns") : nullptr)
      s_.run.shared_pcpu_quantum_ns = static_cast<u64>(read_int(*n, "run.shared_pcpu_quantum_ns", 1, 1000000, "ns"));
    else
      note_default(r, "run.shared_pcpu_quantum_ns");
    if (const Node* n = r ? optional(*r, "duration_us") : nullptr)
      s_.run.duration_us = static_cast<u64>(read_int(*n, "run.duration_us", 0, 1000000000000LL, "µs"));
    else
      note_default(r, "run.duration_us");
    if (const Node* n = r ? optional(*r, "watchdog_ms") : nullptr)
      s_.run.watchdog_ms = static_cast<u64>(read_int(*n, "run.watchdog_ms", 1, 3600000, "ms"));
    else
      note_default(r, "run.watchdog_ms");
  }

  Board board_;
};

}  // namespace

Scenario validate_scenario_tree(const ScenarioTree& tree, std::vector<std::string>* warnings) {
  return Loader(tree, warnings).load();
}

void apply_workloads_text(ScenarioTree& tree, const std::string& yaml_text, const std::string& file_name) {
  const Node overlay = parse_yaml_tree(yaml_text, file_name);
  if (overlay.kind != Node::Kind::mapping)
    throw ConfigError(overlay.loc, "",
                      "expected a mapping with workloads: (and optionally run:, timing:), got " + describe(overlay));
  for (std::size_t i = 0; i < overlay.keys.size(); ++i)
    if (std::find(kWorkloadsFileKeys.begin(), kWorkloadsFileKeys.end(), overlay.keys[i]) == kWorkloadsFileKeys.end())
      throw ConfigError(overlay.key_locs[i], "", unknown("key", overlay.keys[i], kWorkloadsFileKeys));
  Node& root = tree.root;
  if (root.kind != Node::Kind::mapping) return;  // the validator reports it
  for (std::size_t i = 0; i < overlay.keys.size(); ++i) {
    const std::string& key = overlay.keys[i];
    const Node& value = overlay.items[i];
    Node* target = root.find(key);
    if (key != "workloads" && value.kind == Node::Kind::mapping && target && target->kind == Node::Kind::mapping) {
      for (std::size_t k = 0; k < value.keys.size(); ++k) target->set(value.keys[k], value.items[k]);
    } else {
      root.set(key, value);
    }
  }
}

void apply_workloads_file(ScenarioTree& tree, const std::string& path) {
  apply_workloads_text(tree, read_input_file(path, "workloads file", SourceLocation{path, 0, 0}), path);
}

Scenario load_scenario_text(const std::string& yaml_text, const std::string& file_name,
                            const std::vector<std::string>& sets, std::vector<std::string>* warnings) {
  ScenarioTree tree;
  tree.file = file_name;
  tree.root = parse_yaml_tree(yaml_text, file_name);
  for (const auto& s : sets) apply_set(tree.root, s);
  return validate_scenario_tree(tree, warnings);
}

Scenario load_scenario_file(const std::string& path, const std::vector<std::string>& sets,
                            std::vector<std::string>* warnings) {
  return load_scenario_text(read_input_file(path, "scenario file", SourceLocation{path, 0, 0}), path, sets, warnings);
}

}  // namespace ivsim
