#include "sim/acrn_scenario_xml.h"

#include <spdlog/spdlog.h>

#include <cctype>
#include <cstring>
#include <set>

#include "platforms/board_xml.h"
#include "platforms/scenario.h"
#include "sim/suggest.h"

namespace ivsim {

namespace {

// MemoryInfo/size default in ACRN's schema (misc/config_tools/schema/VMtypes.xsd).
constexpr const char* kSchemaMemoryMb = "1024";

const SourceLocation kBoardOption{"--board", 0, 0};

const std::vector<std::string> kRegionElements = {"NAME", "PROVIDED_BY", "IVSHMEM_SIZE", "IVSHMEM_REGION_ID",
                                                  "IVSHMEM_VMS"};
const std::vector<std::string> kRegionVmElements = {"VM_NAME", "VBDF"};

std::string indexed(const std::string& path, const char* name, std::size_t i) {
  return (path.empty() ? "" : path + "/") + name + "[" + std::to_string(i) + "]";
}

std::string stem(const std::string& path) {
  const auto slash = path.rfind('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  const auto dot = base.rfind('.');
  if (dot != std::string::npos && dot > 0) base = base.substr(0, dot);
  return base.empty() ? "scenario" : base;
}

class Converter {
 public:
  Converter(const XmlDocument& doc, std::string board) : doc_(doc), board_(std::move(board)) {}

  ScenarioTree convert() {
    const pugi::xml_node root = doc_.root();
    if (std::strcmp(root.name(), "acrn-config") != 0)
      fail(root, "",
           std::string("expected an ACRN scenario file (root element <acrn-config>), got <") + root.name() + ">");
    if (is_acrn_board_file(doc_))
      fail(root, "", "this is an ACRN board file, not a scenario file (give it with --board)");
    if (root.attribute("user_vm_launcher") || root.attribute("uos_launcher"))
      fail(root, "",
           "this is an ACRN 2.x launch file, not a scenario file: give the scenario file it was made for, and "
           "this file with --launch");
    if (board_.empty())
      throw ConfigError(kBoardOption, "board",
                        "an ACRN scenario file needs its board: --board BOARD.xml (or a shipped board name)");
    mark(root);

    tree_.file = doc_.file();
    Node& top = tree_.root = Node::mapping(doc_.at(root));
    top.set("name", Node::scalar(stem(doc_.file()), doc_.at(root)));
    top.set("board", Node::scalar(board_, kBoardOption));

    const pugi::xml_node hv = root.child("hv");
    if (hv) read_hypervisor(hv, top);
    read_vms(root, top);
    read_regions(hv, top);
    log_unread_elements(doc_, read_, "ACRN elements ivsim does not model");
    return std::move(tree_);
  }

 private:
  [[noreturn]] void fail(pugi::xml_node at, const std::string& path, const std::string& msg) const {
    throw ConfigError(doc_.at(at), path, msg);
  }
  [[noreturn]] void fail_value(pugi::xml_node at, const std::string& path, const std::string& msg) const {
    throw ConfigError(doc_.at_value(at), path, msg);
  }

  void mark(pugi::xml_node n) { read_.insert(n.internal_object()); }
  void show(const std::string& field, const std::string& element_path) { tree_.shown_paths[field] = element_path; }

  Node value(pugi::xml_node element) {
    mark(element);
    return Node::scalar(xml_text(element), doc_.at_value(element));
  }

  // A child element's value under `key`, if the element is there and not blank.
  void optional_value(Node& map, const char* key, pugi::xml_node parent, const char* element, const std::string& field,
                      const std::string& element_path) {
    show(field, element_path);
    const pugi::xml_node e = parent.child(element);
    if (!e) return;
    mark(e);
    if (!xml_text(e).empty()) map.set(key, value(e));
  }

  void read_hypervisor(pugi::xml_node hv, Node& top) {
    mark(hv);
    Node h = Node::mapping(doc_.at(hv));
    show("hypervisor", "hv");
    if (const pugi::xml_node caps = hv.child("CAPACITIES")) {
      mark(caps);
      optional_value(h, "max_vm_num", caps, "MAX_VM_NUM", "hypervisor.max_vm_num", "hv/CAPACITIES/MAX_VM_NUM");
      optional_value(h, "max_emulated_mmio", caps, "MAX_EMULATED_MMIO", "hypervisor.max_emulated_mmio",
                     "hv/CAPACITIES/MAX_EMULATED_MMIO");
    }
    if (const pugi::xml_node features = hv.child("FEATURES")) {
      mark(features);
      optional_value(h, "scheduler", features, "SCHEDULER", "hypervisor.scheduler", "hv/FEATURES/SCHEDULER");
      read_idle(hv.parent(), features, h);
      optional_flag(h, "split_lock_detection", features, "SPLIT_LOCK_DETECTION_ENABLED",
                    "hypervisor.split_lock_detection", "hv/FEATURES/SPLIT_LOCK_DETECTION_ENABLED");
      optional_flag(h, "uc_lock_detection", features, "UC_LOCK_DETECTION_ENABLED", "hypervisor.uc_lock_detection",
                    "hv/FEATURES/UC_LOCK_DETECTION_ENABLED");
      optional_flag(h, "hyperv", features, "HYPERV_ENABLED", "hypervisor.hyperv", "hv/FEATURES/HYPERV_ENABLED");
      optional_flag(h, "service_vm_supervisor", features, "SERVICE_VM_SUPERVISOR_ENABLED",
                    "hypervisor.service_vm_supervisor", "hv/FEATURES/SERVICE_VM_SUPERVISOR_ENABLED");
      // v3.1 renamed MCE_ON_PSC_DISABLED (v2.5-v3.0) and turned its sense round.
      optional_flag(h, "mce_on_psc", features, "MCE_ON_PSC_ENABLED", "hypervisor.mce_on_psc",
                    "hv/FEATURES/MCE_ON_PSC_ENABLED");
      optional_flag(h, "mce_on_psc", features, "MCE_ON_PSC_DISABLED", "hypervisor.mce_on_psc",
                    "hv/FEATURES/MCE_ON_PSC_DISABLED", true);
      optional_value(h, "vuart_timer_pcpu", features, "VUART_TIMER_PCPU", "hypervisor.vuart_timer_pcpu",
                     "hv/FEATURES/VUART_TIMER_PCPU");
      read_rdt(features, h);
      warn_ssram(features);
    }
    optional_value(h, "build_type", hv, "BUILD_TYPE", "hypervisor.build_type", "hv/BUILD_TYPE");
    if (const pugi::xml_node debug = hv.child("DEBUG_OPTIONS")) {
      mark(debug);
      optional_value(h, "serial_console", debug, "SERIAL_CONSOLE", "hypervisor.serial_console",
                     "hv/DEBUG_OPTIONS/SERIAL_CONSOLE");
      optional_value(h, "console_loglevel", debug, "CONSOLE_LOGLEVEL", "hypervisor.console_loglevel",
                     "hv/DEBUG_OPTIONS/CONSOLE_LOGLEVEL");
    }
    // Absent or empty: config.xsd's defaults, no serial console and level 5
    // (the twin's own defaults are the sample scenarios').
    if (!h.find("serial_console")) h.set("serial_console", Node::scalar("None", doc_.at(hv)));
    if (!h.find("console_loglevel")) h.set("console_loglevel", Node::scalar("5", doc_.at(hv)));
    // Absent or empty: the schema's default (config.xsd, every release from
    // v2.5 on), which the configurator's default_populator fills in.
    if (!h.find("scheduler")) h.set("scheduler", Node::scalar("SCHED_BVT", doc_.at(hv)));
    read_cache_region(hv, h);
    top.set("hypervisor", std::move(h));
  }

  // What an idle pCPU runs (cpu_do_idle): PAUSE with KEEP_IRQ_DISABLED (no
  // interrupt could end a HLT in root mode), else HLT, as ACRN v3.3 and
  // later do. Before v3.3 the idle loop always paused; of those versions,
  // only an ACRN 2.x file tells itself apart (its VMs' vm_type), and it gets
  // PAUSE; a v3.0 to v3.2 file reads as v3.3 (set hypervisor.idle: PAUSE).
  void read_idle(pugi::xml_node root, pugi::xml_node features, Node& h) {
    show("hypervisor.idle", "hv/FEATURES/KEEP_IRQ_DISABLED");
    if (const pugi::xml_node k = features.child("KEEP_IRQ_DISABLED")) {
      const std::string t = xml_text(k);
      if (t.empty()) return mark(k);
      if (t != "y" && t != "n") fail_value(k, "hv/FEATURES/KEEP_IRQ_DISABLED", "expected y or n, got " + quote(t));
      Node v = value(k);
      v.text = t == "y" ? "PAUSE" : "HLT";
      h.set("idle", std::move(v));
      return;
    }
    for (pugi::xml_node vm : root.children("vm"))
      if (is_legacy_vm(vm)) {
        h.set("idle", Node::scalar("PAUSE", doc_.at(features)));
        return;
      }
  }

  // A y/n element (ACRN's Boolean type) as a YAML boolean.
  // `inverted`: the element says the opposite of the field (a *_DISABLED option).
  void optional_flag(Node& map, const char* key, pugi::xml_node parent, const char* element, const std::string& field,
                     const std::string& element_path, bool inverted = false) {
    const pugi::xml_node e = parent.child(element);
    if (!e && inverted) return;  // the older name: said only when present
    show(field, element_path);
    if (!e) return;
    const std::string t = xml_text(e);
    if (t.empty()) return mark(e);
    if (t != "y" && t != "n") fail_value(e, element_path, "expected y or n, got " + quote(t));
    Node b = value(e);
    b.text = (t == "y") != inverted ? "true" : "false";
    map.set(key, std::move(b));
  }

  // hv/FEATURES/SSRAM: ACRN finds the Software SRAM buffers in the
  // platform's RTCT ACPI table at boot (acpi_ext.c, rtcm.c:
  // init_software_sram), locked in the caches by the firmware, and maps them
  // into the pre-launched RT VM. The twin reads no RTCT: a scenario that
  // turns it on must hear that its buffers are ordinary memory here.
  void warn_ssram(pugi::xml_node features) const {
    const pugi::xml_node e = features.child("SSRAM").child("SSRAM_ENABLED");
    if (!e || xml_text(e) != "y") return;
    const SourceLocation at = doc_.at(e);
    spdlog::warn(
        "{}:{}:{}: hv/FEATURES/SSRAM/SSRAM_ENABLED is y: Software SRAM is not modelled (ACRN takes its buffers from "
        "the platform's RTCT, which ivsim does not read); the RT VM's memory is ordinary cached memory here",
        at.file, at.line, at.column);
  }

  // hv/FEATURES/RDT (types.xsd RDTType): RDT_ENABLED, CDP_ENABLED, VCAT_ENABLED.
  void read_rdt(pugi::xml_node features, Node& h) {
    const std::string x = "hv/FEATURES/RDT";
    show("hypervisor.rdt", x);
    const pugi::xml_node rdt = features.child("RDT");
    if (!rdt) return;
    mark(rdt);
    // ACRN 2.x also listed each CLOS's masks here (CLOS_MASK, MBA_DELAY),
    // with each vCPU's CLOS under vm/clos; ACRN's upgrader drops both, and so
    // does the twin, saying so when RDT was on (3.x: hv/CACHE_REGION).
    check_children(rdt, x, {"RDT_ENABLED", "CDP_ENABLED", "VCAT_ENABLED", "CLOS_MASK", "MBA_DELAY"});
    if (rdt.child("CLOS_MASK") && xml_text(rdt.child("RDT_ENABLED")) == "y") {
      const SourceLocation at = doc_.at(rdt.child("CLOS_MASK"));
      spdlog::warn(
          "{}:{}:{}: {}/CLOS_MASK: ACRN 2.x's cache allocation (CLOS_MASK with vm/clos) is not read, as ACRN's "
          "upgrader drops it: give it as hv/CACHE_REGION (ACRN 3.x) for the twin to apply it",
          at.file, at.line, at.column, x);
    }
    Node r = Node::mapping(doc_.at(rdt));
    optional_flag(r, "enabled", rdt, "RDT_ENABLED", "hypervisor.rdt.enabled", x + "/RDT_ENABLED");
    optional_flag(r, "cdp", rdt, "CDP_ENABLED", "hypervisor.rdt.cdp", x + "/CDP_ENABLED");
    optional_flag(r, "vcat", rdt, "VCAT_ENABLED", "hypervisor.rdt.vcat", x + "/VCAT_ENABLED");
    h.set("rdt", std::move(r));
  }

  // hv/CACHE_REGION (types.xsd CacheRegionType): CACHE_ALLOCATION elements,
  // each CACHE_ID, CACHE_LEVEL and POLICY elements of VM, VCPU, TYPE,
  // CLOS_MASK.
  void read_cache_region(pugi::xml_node hv, Node& h) {
    const std::string x = "hv/CACHE_REGION";
    show("hypervisor.cache_allocation", x);
    const pugi::xml_node region = hv.child("CACHE_REGION");
    if (!region) return;
    mark(region);
    check_children(region, x, {"CACHE_ALLOCATION"});
    const auto allocations = xml_children(region, "CACHE_ALLOCATION");
    if (allocations.empty()) return;
    Node list = Node::list(doc_.at(region));
    for (std::size_t k = 0; k < allocations.size(); ++k) {
      const pugi::xml_node a = allocations[k];
      mark(a);
      const std::string f = path_at("hypervisor.cache_allocation", k), ax = indexed(x, "CACHE_ALLOCATION", k);
      show(f, ax);
      check_children(a, ax, {"CACHE_ID", "CACHE_LEVEL", "POLICY"});
      Node n = Node::mapping(doc_.at(a));
      optional_value(n, "cache_id", a, "CACHE_ID", f + ".cache_id", ax + "/CACHE_ID");
      optional_value(n, "cache_level", a, "CACHE_LEVEL", f + ".cache_level", ax + "/CACHE_LEVEL");
      show(f + ".policies", ax + "/POLICY");
      Node policies = Node::list(doc_.at(a));
      const auto list_of = xml_children(a, "POLICY");
      for (std::size_t j = 0; j < list_of.size(); ++j) {
        const pugi::xml_node p = list_of[j];
        mark(p);
        const std::string pf = path_at(f + ".policies", j), px = indexed(ax, "POLICY", j);
        show(pf, px);
        check_children(p, px, {"VM", "VCPU", "TYPE", "CLOS_MASK"});
        Node m = Node::mapping(doc_.at(p));
        optional_value(m, "vm", p, "VM", pf + ".vm", px + "/VM");
        optional_value(m, "vcpu", p, "VCPU", pf + ".vcpu", px + "/VCPU");
        optional_value(m, "type", p, "TYPE", pf + ".type", px + "/TYPE");
        optional_value(m, "clos_mask", p, "CLOS_MASK", pf + ".clos_mask", px + "/CLOS_MASK");
        policies.items.push_back(std::move(m));
      }
      if (!list_of.empty()) n.set("policies", std::move(policies));
      list.items.push_back(std::move(n));
    }
    h.set("cache_allocation", std::move(list));
  }

  void read_vms(pugi::xml_node root, Node& top) {
    const auto vms = xml_children(root, "vm");
    show("vms", "vm");
    Node list = Node::list(vms.empty() ? doc_.at(root) : doc_.at(vms[0]));
    for (std::size_t i = 0; i < vms.size(); ++i) list.items.push_back(read_vm(vms[i], i));
    top.set("vms", std::move(list));
  }

  Node read_vm(pugi::xml_node vm, std::size_t i) {
    mark(vm);
    const std::string f = path_at("vms", i), x = indexed("", "vm", i);
    Node n = Node::mapping(doc_.at(vm));
    show(f, x);

    show(f + ".id", x + "/@id");
    const pugi::xml_attribute id = vm.attribute("id");
    if (!id) fail(vm, x, "missing attribute id");
    n.set("id", Node::scalar(id.value(), doc_.at_attribute(vm, "id")));

    optional_value(n, "name", vm, "name", f + ".name", x + "/name");
    if (is_legacy_vm(vm)) {
      read_legacy_vm_type(vm, f, x, n);
      legacy_vm_name(vm, f, x, n);
    } else {
      optional_value(n, "load_order", vm, "load_order", f + ".load_order", x + "/load_order");
      optional_value(n, "vm_type", vm, "vm_type", f + ".vm_type", x + "/vm_type");
    }

    show(f + ".lapic_passthrough", x + "/lapic_passthrough");
    if (vm.child("lapic_passthrough")) {
      // Empty: the schema's default, n, as the configurator fills it in
      // (default_populator.py).
      optional_flag(n, "lapic_passthrough", vm, "lapic_passthrough", f + ".lapic_passthrough",
                    x + "/lapic_passthrough");
    } else if (const pugi::xml_node flag = guest_flag(vm, "GUEST_FLAG_LAPIC_PASSTHROUGH")) {
      // ACRN 2.x: a guest flag (the upgrader's move_lapic_passthrough).
      show(f + ".lapic_passthrough", x + "/guest_flags/guest_flag");
      Node b = value(flag);
      b.text = "true";
      n.set("lapic_passthrough", std::move(b));
    }

    optional_flag(n, "own_pcpu", vm, "own_pcpu", f + ".own_pcpu", x + "/own_pcpu");
    show(f + ".hide_mtrr", x + "/hide_mtrr_support");
    if (vm.child("hide_mtrr_support")) {
      optional_flag(n, "hide_mtrr", vm, "hide_mtrr_support", f + ".hide_mtrr", x + "/hide_mtrr_support");
    } else if (const pugi::xml_node flag = guest_flag(vm, "GUEST_FLAG_HIDE_MTRR")) {
      // ACRN 2.x: a guest flag (the upgrader's move_guest_flag).
      show(f + ".hide_mtrr", x + "/guest_flags/guest_flag");
      Node b = value(flag);
      b.text = "true";
      n.set("hide_mtrr", std::move(b));
    }
    read_pci_room(vm, f, x, n);

    read_cpu_affinity(vm, f, x, n);
    read_memory(vm, f, x, n);
    read_sched_params(vm, f, x, n);
    return n;
  }

  // The VM's endpoint of each vuart_connection of type pci (3.x).
  std::vector<pugi::xml_node> pci_vuart_endpoints(const std::string& vm_name) const {
    std::vector<pugi::xml_node> out;
    for (const pugi::xml_node c : doc_.root().child("hv").child("vuart_connections").children("vuart_connection")) {
      if (xml_text(c.child("type")) != "pci") continue;
      for (const pugi::xml_node e : c.children("endpoint"))
        if (xml_text(e.child("vm_name")) == vm_name) {
          out.push_back(e);
          break;
        }
    }
    return out;
  }

  // The devices launch_cfg_gen.py (3.x) has acrn-dm emulate, in the order it
  // adds them: the console vUART if PCI, each PCI vuart_connection's uart at
  // its endpoint's VBDF, the xHCI controller if a USB device is given, then
  // the virtio devices by type. (A 2.x launch XML names none of these.)
  void read_dm_devices(pugi::xml_node vm, const std::string& f, const std::string& x, Node& n,
                       const std::string& name) {
    show(f + ".dm_devices", x + "/console_vuart, virtio_devices, usb_xhci or hv/vuart_connections");
    Node list = Node::list(doc_.at(vm));
    auto add = [&](pugi::xml_node at, const char* kind) { list.items.push_back(Node::scalar(kind, doc_.at(at))); };
    if (const pugi::xml_node c = vm.child("console_vuart"); c && xml_text(c) == "PCI") add(c, "uart");
    for (const pugi::xml_node e : pci_vuart_endpoints(name)) {
      Node d = Node::mapping(doc_.at(e));
      d.set("kind", Node::scalar("uart", doc_.at(e)));
      if (const pugi::xml_node v = e.child("vbdf"); v && !xml_text(v).empty()) d.set("vbdf", value(v));
      list.items.push_back(std::move(d));
    }
    if (const pugi::xml_node usb = vm.child("usb_xhci")) {
      mark(usb);
      for (const pugi::xml_node d : usb.children("usb_dev"))
        if (!xml_text(d).empty()) {
          add(usb, "xhci");
          break;
        }
    }
    if (const pugi::xml_node v = vm.child("virtio_devices")) {
      mark(v);
      // An input device needs its backend_device_file, a console one of the
      // backends the generator knows, a network device its interface_name.
      for (const pugi::xml_node d : v.children("input"))
        if (!xml_text(d.child("backend_device_file")).empty()) add(d, "virtio-input");
      for (const pugi::xml_node d : v.children("console")) {
        const std::string backend = xml_text(d.child("backend_type"));
        if (backend == "file" || backend == "tty" || backend == "sock server" || backend == "sock client" ||
            backend == "pty" || backend == "stdio")
          add(d, "virtio-console");
      }
      for (const pugi::xml_node d : v.children("network"))
        if (!xml_text(d.child("interface_name")).empty()) add(d, "virtio-net");
      for (const pugi::xml_node d : v.children("block"))
        if (!xml_text(d).empty()) add(d, "virtio-blk");
      for (const pugi::xml_node d : v.children("gpu"))
        if (d.child("display_type")) add(d, "virtio-gpu");
      for (const pugi::xml_node d : v.children("vsock"))
        if (!xml_text(d).empty()) add(d, "vhost-vsock");
    }
    if (!list.items.empty()) n.set("dm_devices", std::move(list));
  }

  // What holds BARs beside the VM's IVSHMEM devices, as gpa.py and acrn-dm
  // count it, and whether acrn-dm boots the VM with OVMF.
  void read_pci_room(pugi::xml_node vm, const std::string& f, const std::string& x, Node& n) {
    // pci_devs/pci_dev: "00:1f.6 Ethernet controller: ...", the BDF first.
    show(f + ".pci_devs", x + "/pci_devs/pci_dev");
    if (const pugi::xml_node devs = vm.child("pci_devs")) {
      mark(devs);
      Node list = Node::list(doc_.at(devs));
      const auto items = xml_children(devs, "pci_dev");
      for (std::size_t k = 0; k < items.size(); ++k) {
        Node v = value(items[k]);
        v.text = v.text.substr(0, v.text.find_first_of(" \t"));
        if (v.text.empty()) continue;  // the configurator's blank <pci_dev/>
        show(path_at(f + ".pci_devs", list.items.size()), indexed(x + "/pci_devs", "pci_dev", k));
        list.items.push_back(std::move(v));
      }
      if (!list.items.empty()) n.set("pci_devs", std::move(list));
    }
    // PCI vUARTs. 3.x: the vuart_connections of type pci with an endpoint in
    // this VM (gpa.py insert_vuart_to_dev_dict); 2.x: the VM's console_vuart
    // and communication_vuart whose base is not INVALID_PCI_BASE, by id.
    const std::string name = xml_text(vm.child("name"));
    const std::size_t connections = pci_vuart_endpoints(name).size();
    std::set<std::string> legacy_ids;
    for (const char* kind : {"console_vuart", "communication_vuart"})
      for (const pugi::xml_node v : vm.children(kind))
        if (const pugi::xml_node base = v.child("base"); base && xml_text(base) != "INVALID_PCI_BASE")
          legacy_ids.insert(v.attribute("id").value());
    show(f + ".pci_vuarts", x + "/console_vuart, communication_vuart or hv/vuart_connections");
    if (const std::size_t count = connections + legacy_ids.size())
      n.set("pci_vuarts", Node::scalar(std::to_string(count), doc_.at(vm)));
    if (xml_text(vm.child("load_order")) == "POST_LAUNCHED_VM") read_dm_devices(vm, f, x, n, name);
    // launch_cfg_gen.py: --ovmf when vbootloader is y (absent: no --ovmf,
    // as the generator does not fill in the schema's default).
    show(f + ".ovmf", x + "/vbootloader");
    if (const pugi::xml_node boot = vm.child("vbootloader")) {
      mark(boot);
      if (xml_text(boot) == "y" && xml_text(vm.child("load_order")) == "POST_LAUNCHED_VM") {
        Node b = value(boot);
        b.text = "true";
        n.set("ovmf", std::move(b));
      }
    }
  }

  // vm/priority (v2.7 on) and vm/bvt_weight (v3.3), which
  // vm_configurations.c.xsl compiles into the VM's sched_params: PRIO_LOW
  // and PRIO_HIGH are 1 and 2 (schedule.h); absent, the schema's defaults
  // (PRIO_LOW, weight 1).
  void read_sched_params(pugi::xml_node vm, const std::string& f, const std::string& x, Node& n) {
    show(f + ".priority", x + "/priority");
    if (const pugi::xml_node p = vm.child("priority")) {
      mark(p);
      const std::string t = xml_text(p);
      if (!t.empty()) {
        if (t != "PRIO_LOW" && t != "PRIO_HIGH")
          fail_value(p, x + "/priority", "expected PRIO_LOW or PRIO_HIGH, got " + quote(t));
        Node v = value(p);
        v.text = t == "PRIO_HIGH" ? "2" : "1";
        n.set("priority", std::move(v));
      }
    }
    if (!n.find("priority")) n.set("priority", Node::scalar("1", doc_.at(vm)));
    show(f + ".bvt_weight", x + "/bvt_weight");
    if (const pugi::xml_node w = vm.child("bvt_weight")) {
      mark(w);
      const std::string t = xml_text(w);
      if (!t.empty()) {
        const bool digits = t.size() <= 3 && t.find_first_not_of("0123456789") == std::string::npos;
        if (!digits || std::stoi(t) < 1 || std::stoi(t) > 128)
          fail_value(w, x + "/bvt_weight", "expected an integer from 1 to 128, got " + quote(t));
        n.set("bvt_weight", value(w));
      }
    }
  }

  // ACRN 2.x's vm_type, which gave the load order and the real-time kind
  // in one (PRE_RT_VM, PRE_STD_VM, SAFETY_VM, SOS_VM or SERVICE_VM,
  // POST_STD_VM, POST_RT_VM, KATA_VM).
  static bool legacy_vm_type(const std::string& t) {
    for (const char* v :
         {"PRE_RT_VM", "PRE_STD_VM", "SAFETY_VM", "SOS_VM", "SERVICE_VM", "POST_STD_VM", "POST_RT_VM", "KATA_VM"})
      if (t == v) return true;
    return false;
  }
  pugi::xml_node guest_flag(pugi::xml_node vm, const char* flag) {
    const pugi::xml_node flags = vm.child("guest_flags");
    if (!flags) return {};
    mark(flags);
    for (const pugi::xml_node g : xml_children(flags, "guest_flag"))
      if (xml_text(g) == flag) return g;
    return {};
  }
  // Converted as ACRN's upgrader does (scenario_config/upgrader.py: the
  // load order from the prefix, move_vm_type for the rest): PRE_* and
  // SAFETY_VM are pre-launched, POST_* post-launched, SOS_VM and SERVICE_VM
  // the Service VM; *_RT_VM, or the guest flag GUEST_FLAG_RT, make an RTVM,
  // the rest a STANDARD_VM. KATA_VM, which the upgrader would take for a
  // Service VM (it has no POST_ prefix), is the post-launched standard VM
  // that ACRN 2.x launched it as.
  void read_legacy_vm_type(pugi::xml_node vm, const std::string& f, const std::string& x, Node& n) {
    const pugi::xml_node type = vm.child("vm_type");
    const std::string t = xml_text(type);
    show(f + ".load_order", x + "/vm_type");
    show(f + ".vm_type", x + "/vm_type");
    Node order = value(type);
    order.text = t.rfind("PRE_", 0) == 0 || t == "SAFETY_VM"  ? "PRE_LAUNCHED_VM"
                 : t.rfind("POST_", 0) == 0 || t == "KATA_VM" ? "POST_LAUNCHED_VM"
                                                              : "SERVICE_VM";
    n.set("load_order", std::move(order));
    Node kind = value(type);
    const pugi::xml_node rt_flag = guest_flag(vm, "GUEST_FLAG_RT");
    kind.text = t == "PRE_RT_VM" || t == "POST_RT_VM" || rt_flag ? "RTVM" : "STANDARD_VM";
    if (rt_flag) mark(rt_flag);
    n.set("vm_type", std::move(kind));
  }

  static bool is_legacy_vm(pugi::xml_node vm) {
    return !vm.child("load_order") && legacy_vm_type(xml_text(vm.child("vm_type")));
  }
  // ACRN 2.x's VM names were free text up to 32 characters ("ACRN SOS VM");
  // 3.x's VMNameType allows 1-15 letters, digits, '_' and '-'. Each other
  // character becomes '_' and a longer name keeps its first 15, said once
  // per VM (the upgrader keeps the name, which 3.x's configurator then
  // refuses).
  static std::string legacy_name(std::string name) { return acrn_legacy_vm_name(std::move(name)); }
  // A 2.x post-launched VM's name was in its launch file, not in the
  // scenario; without it, the VM gets the name ACRN 2.7's configurator
  // gives: its vm_type and its rank among the VMs of that type (POST_STD_VM1,
  // POST_STD_VM2, POST_RT_VM1).
  std::string legacy_default_name(pugi::xml_node vm) const {
    const std::string type = xml_text(vm.child("vm_type"));
    unsigned rank = 0;
    for (const pugi::xml_node other : xml_children(doc_.root(), "vm")) {
      if (xml_text(other.child("vm_type")) == type) ++rank;
      if (other == vm) break;
    }
    return type + std::to_string(rank);
  }
  std::string legacy_vm_name_text(pugi::xml_node vm) const {
    const std::string text = xml_text(vm.child("name"));
    return text.empty() ? legacy_default_name(vm) : legacy_name(text);
  }
  void legacy_vm_name(pugi::xml_node vm, const std::string& f, const std::string& x, Node& n) {
    Node* name = n.find("name");
    if (!name) {
      show(f + ".name", x + "/vm_type");
      n.set("name", Node::scalar(legacy_default_name(vm), doc_.at(vm)));
      return;
    }
    const std::string fixed = legacy_name(name->text);
    if (fixed == name->text) return;
    const SourceLocation at = doc_.at_value(vm.child("name"));
    spdlog::warn(
        "{}:{}:{}: {}/name: ACRN 2.x's VM name {} is {} here (ACRN 3.x's VM names are 1-{} letters, digits, "
        "_ and -)",
        at.file, at.line, at.column, x, quote(name->text), quote(fixed), kMaxVmNameChars);
    name->text = fixed;
  }

  // ACRN 3.x writes cpu_affinity/pcpu/pcpu_id; earlier files cpu_affinity/pcpu_id.
  void read_cpu_affinity(pugi::xml_node vm, const std::string& f, const std::string& x, Node& n) {
    const std::string ap = x + "/cpu_affinity";
    show(f + ".cpu_affinity", ap);
    const pugi::xml_node aff = vm.child("cpu_affinity");
    if (!aff) return;
    mark(aff);
    Node list = Node::list(doc_.at(aff));
    const auto pcpus = xml_children(aff, "pcpu");
    for (std::size_t j = 0; j < pcpus.size(); ++j) {
      mark(pcpus[j]);
      const std::string pp = indexed(ap, "pcpu", j);
      const pugi::xml_node id = pcpus[j].child("pcpu_id");
      if (!id) fail(pcpus[j], pp, "missing element pcpu_id");
      show(path_at(f + ".cpu_affinity", list.items.size()), pp + "/pcpu_id");
      list.items.push_back(value(id));
    }
    const auto ids = xml_children(aff, "pcpu_id");
    for (std::size_t j = 0; j < ids.size(); ++j) {
      show(path_at(f + ".cpu_affinity", list.items.size()), indexed(ap, "pcpu_id", j));
      list.items.push_back(value(ids[j]));
    }
    // An empty <cpu_affinity/> is what the configurator leaves for a
    // Service VM that takes the default.
    if (!list.items.empty()) n.set("cpu_affinity", std::move(list));
  }

  // Post-launched VMs: memory/size (MB). Pre-launched VMs: one or more
  // memory/hpa_region, each size_hpa MB, plus memory/size when given too.
  // Neither: the schema's default size
  // (VMtypes.xsd MemoryInfo/size, 1024 MB), as the configurator fills it
  // in; the Service VM keeps the twin's own default.
  void read_memory(pugi::xml_node vm, const std::string& f, const std::string& x, Node& n) {
    const std::string field = f + ".memory_mib";
    show(field, x + "/memory/size");
    const pugi::xml_node mem = vm.child("memory");
    auto schema_default = [&] {
      // The load order as read (a 2.x file's comes from vm_type).
      const Node* order = n.find("load_order");
      if (!order || order->text != "SERVICE_VM")
        n.set("memory_mib", Node::scalar(kSchemaMemoryMb, doc_.at(mem ? mem : vm)));
    };
    if (!mem) return schema_default();
    mark(mem);
    if (legacy_memory(mem)) return read_legacy_memory(mem, f, x, n, schema_default);
    const auto regions = xml_children(mem, "hpa_region");
    const Node* order = n.find("load_order");
    const bool pre_launched = order && order->text == "PRE_LAUNCHED_VM";
    // An empty size is the schema's default (default_populator.py fills it).
    pugi::xml_node size = mem.child("size");
    if (size && xml_text(size).empty()) {
      mark(size);
      size = pugi::xml_node{};
      if (regions.empty()) return schema_default();
    }
    // A pre-launched VM with both gets both: memory_allocator.py's
    // get_memory_info allocates memory/size and adds each hpa_region.
    if (size && (!pre_launched || regions.empty())) {
      n.set("memory_mib", value(size));
      return;
    }
    if (regions.empty()) return schema_default();
    // A size in MB, as the schema bounds it.
    auto megabytes = [&](pugi::xml_node node, const std::string& path) {
      mark(node);
      unsigned long long mb = 0;
      if (!parse_xml_uint(xml_text(node), mb) || mb > (1ULL << 20))
        fail_value(node, path, "expected a size from 0 to 1048576 (MB), got " + quote(xml_text(node)));
      return mb;
    };
    unsigned long long total = size ? megabytes(size, x + "/memory/size") : 0;
    for (std::size_t k = 0; k < regions.size(); ++k) {
      mark(regions[k]);
      const std::string rp = indexed(x + "/memory", "hpa_region", k);
      const pugi::xml_node size_hpa = regions[k].child("size_hpa");
      if (!size_hpa) fail(regions[k], rp, "missing element size_hpa");
      total += megabytes(size_hpa, rp + "/size_hpa");
    }
    if (regions.size() == 1 && !size) {
      show(field, x + "/memory/hpa_region[0]/size_hpa");
      n.set("memory_mib", value(regions[0].child("size_hpa")));
    } else {
      show(field, x + "/memory");
      n.set("memory_mib", Node::scalar(std::to_string(total), doc_.at(mem)));
    }
  }

  // ACRN 2.x: memory/start_hpa, start_hpa2 and their sizes size, size_hpa2
  // in bytes (hex), or memory/whole; 3.x sizes are in MB and never in hex.
  static bool legacy_memory(pugi::xml_node mem) {
    for (pugi::xml_node c = mem.first_child(); c; c = c.next_sibling()) {
      const std::string name = c.name();
      if (name.find("start_hpa") != std::string::npos || name == "whole") return true;
      if (name.find("size") != std::string::npos && xml_text(c).find("0x") != std::string::npos) return true;
    }
    return false;
  }
  // As the upgrader's move_memory: sizes given in hex are bytes; the pairs
  // of a start and a size both non-zero are the VM's host memory regions (a
  // pre-launched VM's), summed here; without a start, the size (or
  // `whole`) is the VM's memory; a Service VM at start 0 keeps the default.
  template <class Default>
  void read_legacy_memory(pugi::xml_node mem, const std::string& f, const std::string& x, Node& n,
                          Default&& schema_default) {
    const std::string field = f + ".memory_mib";
    struct Entry {
      pugi::xml_node node;
      unsigned long long value;  // a start: the address; a size: MB
    };
    std::vector<Entry> starts, sizes, wholes;
    for (pugi::xml_node c = mem.first_child(); c; c = c.next_sibling()) {
      if (c.type() != pugi::node_element) continue;
      const std::string name = c.name();
      const std::string path = x + "/memory/" + name;
      const std::string t = xml_text(c);
      unsigned long long v = 0;
      if (!parse_xml_uint(t, v)) fail_value(c, path, "expected a number, got " + quote(t));
      mark(c);
      const bool bytes = t.find("0x") != std::string::npos;
      if (name.find("start_hpa") != std::string::npos)
        starts.push_back({c, v});
      else if (name == "whole")
        wholes.push_back({c, bytes ? v >> 20 : v});
      else if (name.find("size") != std::string::npos)
        sizes.push_back({c, bytes ? v >> 20 : v});
    }
    auto set_mib = [&](unsigned long long mib, pugi::xml_node at, const std::string& path) {
      if (mib > (1ULL << 20))
        fail_value(at, path, "expected a size of at most 1 TiB, got " + std::to_string(mib) + " MB");
      show(field, path);
      n.set("memory_mib", Node::scalar(std::to_string(mib), doc_.at_value(at)));
    };
    if (!starts.empty() && !sizes.empty()) {
      unsigned long long total = 0;
      pugi::xml_node first;
      for (std::size_t i = 0; i < starts.size() && i < sizes.size(); ++i) {
        if (starts[i].value == 0 || sizes[i].value == 0) continue;
        if (!first) first = sizes[i].node;
        total += sizes[i].value;
      }
      if (!first) return schema_default();
      return set_mib(total, first, x + "/memory/" + first.name());
    }
    const std::vector<Entry>& whole = !wholes.empty() ? wholes : sizes;
    if (whole.empty()) return schema_default();
    set_mib(whole.front().value, whole.front().node, x + "/memory/" + whole.front().node.name());
  }

  void read_regions(pugi::xml_node hv, Node& top) {
    const std::string ip = "hv/FEATURES/IVSHMEM";
    show("ivshmem", ip);
    const pugi::xml_node ivshmem = hv.child("FEATURES").child("IVSHMEM");
    if (!ivshmem) return;
    mark(ivshmem);
    Node list = Node::list(doc_.at(ivshmem));
    const auto regions = xml_children(ivshmem, "IVSHMEM_REGION");
    for (std::size_t k = 0; k < regions.size(); ++k) {
      mark(regions[k]);
      // As the upgrader tells them apart: ACRN 2.x wrote the region as text,
      // and an empty one beside IVSHMEM_ENABLED (n, as its configurator left
      // it) is no region (add_ivshmem_region skips it; 3.x has no such flag).
      const bool element_free = !regions[k].find_child([](pugi::xml_node c) { return c.type() == pugi::node_element; });
      if (element_free && xml_text(regions[k]).empty() && ivshmem.child("IVSHMEM_ENABLED")) continue;
      const std::string f = path_at("ivshmem", list.items.size()), x = indexed(ip, "IVSHMEM_REGION", k);
      show(f, x);
      const bool legacy = element_free && !xml_text(regions[k]).empty();
      list.items.push_back(legacy ? read_legacy_region(regions[k], f, x) : read_region(regions[k], f, x));
    }
    top.set("ivshmem", std::move(list));
  }

  // Elements under a region are ACRN's fixed schema: a name not in it is a
  // typo, and an error rather than something the twin ignores.
  void check_children(pugi::xml_node parent, const std::string& path, const std::vector<std::string>& allowed) {
    for (pugi::xml_node c = parent.first_child(); c; c = c.next_sibling()) {
      if (c.type() != pugi::node_element) continue;
      if (std::find(allowed.begin(), allowed.end(), c.name()) == allowed.end())
        fail(c, path, unknown("element", c.name(), allowed));
    }
  }

  Node read_region(pugi::xml_node region, const std::string& f, const std::string& x) {
    if (!region.find_child([](pugi::xml_node c) { return c.type() == pugi::node_element; }))
      fail(region, x, "empty IVSHMEM_REGION: expected NAME, PROVIDED_BY, IVSHMEM_SIZE and IVSHMEM_VMS");
    check_children(region, x, kRegionElements);
    Node n = Node::mapping(doc_.at(region));
    // Empty PROVIDED_BY, IVSHMEM_SIZE and IVSHMEM_REGION_ID take the schema's
    // defaults (Hypervisor, 2, 0), as XML Schema does for empty elements.
    optional_value(n, "name", region, "NAME", f + ".name", x + "/NAME");
    optional_value(n, "provider", region, "PROVIDED_BY", f + ".provider", x + "/PROVIDED_BY");
    show(f + ".size_mib", x + "/IVSHMEM_SIZE");
    const pugi::xml_node size = region.child("IVSHMEM_SIZE");
    if (size) mark(size);
    n.set("size_mib", size && !xml_text(size).empty() ? value(size) : Node::scalar("2", doc_.at(size ? size : region)));
    optional_value(n, "region_id", region, "IVSHMEM_REGION_ID", f + ".region_id", x + "/IVSHMEM_REGION_ID");

    const std::string mp = x + "/IVSHMEM_VMS";
    show(f + ".members", mp);
    const pugi::xml_node vms = region.child("IVSHMEM_VMS");
    if (!vms) return n;
    mark(vms);
    check_children(vms, mp, {"IVSHMEM_VM"});
    Node members = Node::list(doc_.at(vms));
    const auto list = xml_children(vms, "IVSHMEM_VM");
    for (std::size_t j = 0; j < list.size(); ++j) {
      mark(list[j]);
      const std::string mf = path_at(f + ".members", j), mx = indexed(mp, "IVSHMEM_VM", j);
      show(mf, mx);
      check_children(list[j], mx, kRegionVmElements);
      Node m = Node::mapping(doc_.at(list[j]));
      optional_value(m, "vm", list[j], "VM_NAME", mf + ".vm", mx + "/VM_NAME");
      optional_value(m, "vbdf", list[j], "VBDF", mf + ".vbdf", mx + "/VBDF");
      members.items.push_back(std::move(m));
    }
    n.set("members", std::move(members));
    return n;
  }

  // ACRN 2.x: "hv:/shm_region_0, 2, 0:2" (prefixed name, size in MB, VM ids).
  // Converted as ACRN's upgrader does (scenario_config/upgrader.py): "dm:/"
  // means Device Model, anything else Hypervisor; the name follows the first
  // "/"; each id becomes that VM's name, and its VBDF is left to the
  // loader, which assigns 00:08.0 upward per VM as the upgrader does.
  Node read_legacy_region(pugi::xml_node region, const std::string& f, const std::string& x) {
    for (const char* field : {".name", ".provider", ".size_mib", ".members"}) show(f + field, x);
    const std::string text = xml_text(region);
    struct Part {
      std::string text;
      std::size_t at;  // offset in `text`
    };
    std::vector<Part> parts;
    for (std::size_t start = 0;;) {
      const std::size_t comma = text.find(',', start);
      const std::string raw = text.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      const std::size_t lead = raw.find_first_not_of(" \t\r\n");
      const std::size_t last = raw.find_last_not_of(" \t\r\n");
      parts.push_back(lead == std::string::npos ? Part{"", start}
                                                : Part{raw.substr(lead, last - lead + 1), start + lead});
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
    if (parts.size() != 3 || parts[0].text.empty() || parts[1].text.empty() || parts[2].text.empty())
      fail_value(region, x,
                 "expected ACRN 2.x's \"hv:/NAME, SIZE_MB, VM_ID:VM_ID\" (or the elements NAME, PROVIDED_BY, "
                 "IVSHMEM_SIZE, IVSHMEM_VMS), got " +
                     quote(text));
    auto at = [&](std::size_t offset) { return doc_.at_text_offset(region, offset); };

    Node n = Node::mapping(doc_.at(region));
    const std::string& spec = parts[0].text;
    const std::size_t slash = spec.find('/');
    const std::size_t name_at = slash == std::string::npos ? 0 : slash + 1;
    n.set("name", Node::scalar(spec.substr(name_at), at(parts[0].at + name_at)));
    n.set("provider", Node::scalar(spec.rfind("dm:/", 0) == 0 ? "Device Model" : "Hypervisor", at(parts[0].at)));
    n.set("size_mib", Node::scalar(parts[1].text, at(parts[1].at)));

    Node members = Node::list(at(parts[2].at));
    const std::string& ids = parts[2].text;
    for (std::size_t start = 0;;) {
      const std::size_t colon = ids.find(':', start);
      const std::string raw = ids.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
      const std::size_t lead = raw.find_first_not_of(" \t");
      const std::string id = lead == std::string::npos ? "" : raw.substr(lead, raw.find_last_not_of(" \t") - lead + 1);
      const SourceLocation id_at = at(parts[2].at + start + (lead == std::string::npos ? 0 : lead));
      Node m = Node::mapping(id_at);
      m.set("vm", Node::scalar(vm_name_by_id(id, id_at, x), id_at));
      show(path_at(f + ".members", members.items.size()), x);
      show(path_at(f + ".members", members.items.size()) + ".vm", x);
      members.items.push_back(std::move(m));
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
    n.set("members", std::move(members));
    return n;
  }

  std::string vm_name_by_id(const std::string& id, const SourceLocation& at, const std::string& path) const {
    unsigned long long want = 0;
    if (!parse_xml_uint(id, want)) throw ConfigError(at, path, "expected a VM id, got " + quote(id));
    std::vector<std::string> known;
    for (const pugi::xml_node vm : xml_children(doc_.root(), "vm")) {
      unsigned long long have = 0;
      const std::string text = vm.attribute("id").value();
      known.push_back(text);
      if (parse_xml_uint(text, have) && have == want)
        return is_legacy_vm(vm) ? legacy_vm_name_text(vm) : xml_text(vm.child("name"));
    }
    throw ConfigError(
        at, path, "no VM has id " + id + " (VM ids: " + (known.empty() ? std::string("none") : join_list(known)) + ")");
  }

  const XmlDocument& doc_;
  std::string board_;
  ScenarioTree tree_;
  std::set<const void*> read_;  // elements the conversion used
};

}  // namespace

std::string acrn_legacy_vm_name(std::string name) {
  for (char& c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') c = '_';
  if (name.size() > kMaxVmNameChars) name.resize(kMaxVmNameChars);
  return name;
}

ScenarioTree read_acrn_scenario_file(const std::string& path, const std::string& board) {
  return acrn_scenario_tree(XmlDocument::load(path, "scenario file", SourceLocation{path, 0, 0}), board);
}

ScenarioTree acrn_scenario_tree(const XmlDocument& doc, const std::string& board) {
  return Converter(doc, board).convert();
}

ScenarioTree read_acrn_scenario_text(const std::string& xml_text, const std::string& file_name,
                                     const std::string& board) {
  return acrn_scenario_tree(XmlDocument::parse(xml_text, file_name), board);
}

}  // namespace ivsim
