#include "sim/acrn_launch_xml.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <set>

#include "sim/acrn_scenario_xml.h"
#include "sim/suggest.h"

namespace ivsim {

namespace {

std::string indexed(const char* name, std::size_t i) { return std::string(name) + "[" + std::to_string(i) + "]"; }

class LaunchMerger {
 public:
  LaunchMerger(ScenarioTree& tree, const XmlDocument& doc) : tree_(tree), doc_(doc) {}

  void merge() {
    const pugi::xml_node root = doc_.root();
    if (!is_acrn_launch_file(doc_))
      fail(root, "",
           std::string("expected an ACRN 2.x launch file (root <acrn-config> with attribute user_vm_launcher or "
                       "uos_launcher), got <") +
               root.name() + ">");
    mark(root);
    Node* vms = tree_.root.find("vms");
    if (!vms || vms->kind != Node::Kind::list) fail(root, "", "the scenario has no VMs for the launch file's user VMs");
    const unsigned long long service = service_vm_id(*vms, root);

    std::vector<pugi::xml_node> users = xml_children(root, "user_vm");
    const char* tag = "user_vm";
    if (users.empty()) {
      users = xml_children(root, "uos");  // ACRN 2.5
      tag = "uos";
    }
    // The VMs first, then the regions they join (members are VM names).
    std::vector<std::pair<pugi::xml_node, std::size_t>> found;
    std::map<std::size_t, std::string> launched;  // scenario VM index -> the element that launches it
    for (std::size_t u = 0; u < users.size(); ++u) {
      const std::string x = indexed(tag, u);
      const std::size_t i = vm_index(*vms, users[u], x, service);
      if (const auto it = launched.find(i); it != launched.end())
        fail(users[u], x, "launches " + text_of(vms->items[i], "name") + ", as " + it->second + " does");
      launched[i] = x;
      read_vm(users[u], x, vms->items[i], path_at("vms", i));
      found.emplace_back(users[u], i);
    }
    for (std::size_t u = 0; u < found.size(); ++u)
      read_shm_regions(found[u].first, indexed(tag, u), vms->items[found[u].second]);
    log_unread_elements(doc_, read_, "ACRN launch elements ivsim does not model");
  }

 private:
  [[noreturn]] void fail(pugi::xml_node at, const std::string& path, const std::string& msg) const {
    throw ConfigError(doc_.at(at), path, msg);
  }
  [[noreturn]] void fail_value(pugi::xml_node at, const std::string& path, const std::string& msg) const {
    throw ConfigError(doc_.at_value(at), path, msg);
  }
  void mark(pugi::xml_node n) { read_.insert(n.internal_object()); }
  Node value(pugi::xml_node e) {
    mark(e);
    return Node::scalar(xml_text(e), doc_.at_value(e));
  }
  static std::string text_of(const Node& vm, const char* key) {
    const Node* n = vm.find(key);
    return n && n->kind == Node::Kind::scalar ? n->text : "";
  }

  // The launch file numbers its user VMs from the Service VM's id.
  unsigned long long service_vm_id(const Node& vms, pugi::xml_node root) const {
    for (const Node& vm : vms.items) {
      unsigned long long id = 0;
      if (text_of(vm, "load_order") == "SERVICE_VM" && parse_xml_uint(text_of(vm, "id"), id)) return id;
    }
    fail(root, "",
         "a launch file numbers its user VMs from the Service VM's id (user_vm id N is VM id Service VM + N), and the "
         "scenario has no Service VM");
  }

  // Which scenario VM a user VM is. ACRN 2.7's acrn-dm creates the VM whose
  // configuration bears the launch file's vm_name (hcall_create_vm:
  // get_vmid_by_name); before it, the VM of the UUID the launch script
  // generator took from scenario VM id Service VM + user VM id.
  std::size_t vm_index(const Node& vms, pugi::xml_node user, const std::string& x, unsigned long long service) const {
    if (const pugi::xml_node name = user.child("vm_name"); name && !xml_text(name).empty()) {
      const std::string want = acrn_legacy_vm_name(xml_text(name));
      std::vector<std::string> post;
      for (std::size_t i = 0; i < vms.items.size(); ++i) {
        if (text_of(vms.items[i], "load_order") != "POST_LAUNCHED_VM") continue;
        if (text_of(vms.items[i], "name") == want) return i;
        post.push_back(text_of(vms.items[i], "name"));
      }
      fail_value(name, x + "/vm_name",
                 "no post-launched VM of the scenario is named " + quote(want) +
                     " (ACRN creates the VM whose configuration has the launch file's name; post-launched VMs: " +
                     (post.empty() ? std::string("none") : join_list(post)) + ")");
    }
    const pugi::xml_attribute a = user.attribute("id");
    unsigned long long n = 0;
    if (!a || !parse_xml_uint(a.value(), n) || n == 0)
      throw ConfigError(a ? doc_.at_attribute(user, "id") : doc_.at(user), x + "/@id",
                        std::string("expected a user VM id from 1, got ") + (a ? quote(a.value()) : "none"));
    const unsigned long long want = service + n;
    for (std::size_t i = 0; i < vms.items.size(); ++i) {
      unsigned long long id = 0;
      if (!parse_xml_uint(text_of(vms.items[i], "id"), id) || id != want) continue;
      if (text_of(vms.items[i], "load_order") != "POST_LAUNCHED_VM")
        throw ConfigError(doc_.at_attribute(user, "id"), x + "/@id",
                          "user VM " + std::to_string(n) + " is the scenario's VM " + std::to_string(want) + " (" +
                              text_of(vms.items[i], "name") + ", the Service VM's id " + std::to_string(service) +
                              " + " + std::to_string(n) + "), which is not post-launched");
      return i;
    }
    throw ConfigError(doc_.at_attribute(user, "id"), x + "/@id",
                      "user VM " + std::to_string(n) + " is VM id " + std::to_string(want) + " (the Service VM's id " +
                          std::to_string(service) + " + " + std::to_string(n) +
                          "), which the scenario does not define");
  }

  void show(const std::string& field, const std::string& element_path) { tree_.shown_paths[field] = element_path; }

  void read_vm(pugi::xml_node user, const std::string& x, Node& vm, const std::string& f) {
    mark(user);
    if (const pugi::xml_node name = user.child("vm_name")) mark(name);  // it chose the VM (vm_index)
    if (const pugi::xml_node size = user.child("mem_size"); size && !xml_text(size).empty()) {
      show(f + ".memory_mib", x + "/mem_size");
      vm.set("memory_mib", value(size));
    }
    // ACRN 2.x's launch script generator (launch_config/com.py): --ovmf
    // when vbootloader is ovmf.
    if (const pugi::xml_node boot = user.child("vbootloader")) {
      show(f + ".ovmf", x + "/vbootloader");
      Node b = value(boot);
      b.text = b.text == "ovmf" ? "true" : "false";
      vm.set("ovmf", std::move(b));
    }
    read_passthrough_devices(user, x, vm, f);
    if (const pugi::xml_node affinity = user.child("cpu_affinity")) {
      mark(affinity);
      Node list = Node::list(doc_.at(affinity));
      const auto ids = xml_children(affinity, "pcpu_id");
      for (std::size_t k = 0; k < ids.size(); ++k) {
        mark(ids[k]);
        if (xml_text(ids[k]).empty()) continue;
        show(path_at(f + ".cpu_affinity", list.items.size()), x + "/cpu_affinity/" + indexed("pcpu_id", k));
        list.items.push_back(value(ids[k]));
      }
      if (!list.items.empty()) {
        show(f + ".cpu_affinity", x + "/cpu_affinity");
        vm.set("cpu_affinity", std::move(list));
      }
    }
    if (const pugi::xml_node rt = user.child("rtos_type")) {
      const std::string t = xml_text(rt);
      mark(rt);
      if (t == "Soft RT" || t == "Hard RT") {
        show(f + ".vm_type", x + "/rtos_type");
        vm.set("vm_type", Node::scalar("RTVM", doc_.at_value(rt)));
      }
      if (t == "Hard RT") {
        show(f + ".lapic_passthrough", x + "/rtos_type");
        vm.set("lapic_passthrough", Node::scalar("true", doc_.at_value(rt)));
      }
    }
  }

  // The devices passed through to the VM ("00:02.0 VGA compatible
  // controller: ...", the host BDF first), in the order of the slots ACRN
  // 2.x's launch script generator gives them, which is the order acrn-dm
  // allocates their BARs in (init_pci: passthru devices first, by slot):
  // the GPU at slot 2 (com.py gpu_pt_arg_set), then the others as
  // launch_item.py get_slot asks virtual_dev_slot for the lowest free slot
  // from 3 up, type by type. A type it does not know comes last.
  void read_passthrough_devices(pugi::xml_node user, const std::string& x, Node& vm, const std::string& f) {
    const pugi::xml_node list = user.child("passthrough_devices");
    if (!list) return;
    mark(list);
    static const std::vector<std::string> kSlotOrder = {"gpu",         "usb_xdci", "ipu",      "ipu_i2c", "cse",
                                                        "ethernet",    "sd_card",  "sata",     "nvme",    "audio",
                                                        "audio_codec", "wifi",     "bluetooth"};
    std::vector<std::pair<std::size_t, pugi::xml_node>> devices;  // (slot rank, element)
    for (const pugi::xml_node d : list.children()) {
      if (d.type() != pugi::node_element) continue;
      mark(d);
      if (xml_text(d).empty()) continue;  // the generator's blank <audio desc=.../>
      const auto rank = std::find(kSlotOrder.begin(), kSlotOrder.end(), d.name()) - kSlotOrder.begin();
      devices.emplace_back(static_cast<std::size_t>(rank), d);
    }
    std::stable_sort(devices.begin(), devices.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    Node pci_devs = Node::list(doc_.at(list));
    for (const auto& [rank, d] : devices) {
      Node v = value(d);
      v.text = v.text.substr(0, v.text.find_first_of(" \t"));
      show(path_at(f + ".pci_devs", pci_devs.items.size()), x + "/passthrough_devices/" + d.name());
      pci_devs.items.push_back(std::move(v));
    }
    if (pci_devs.items.empty()) return;
    show(f + ".pci_devs", x + "/passthrough_devices");
    vm.set("pci_devs", std::move(pci_devs));
  }

  // "dm:/NAME,SIZE" or "hv:/NAME,SIZE" (SIZE in MB), as acrn-dm's ivshmem
  // option takes it.
  void read_shm_regions(pugi::xml_node user, const std::string& ux, const Node& vm) {
    const pugi::xml_node list = user.child("shm_regions");
    if (!list) return;
    mark(list);
    const auto regions = xml_children(list, "shm_region");
    const std::string vm_name = text_of(vm, "name");
    for (std::size_t k = 0; k < regions.size(); ++k) {
      mark(regions[k]);
      const std::string text = xml_text(regions[k]);
      if (text.empty()) continue;
      const std::string x = ux + "/shm_regions/" + indexed("shm_region", k);
      const bool dm = text.rfind("dm:/", 0) == 0;
      const std::size_t comma = text.find(',');
      if ((!dm && text.rfind("hv:/", 0) != 0) || comma == std::string::npos)
        fail_value(regions[k], x, "expected \"dm:/NAME,SIZE_MB\" or \"hv:/NAME,SIZE_MB\", got " + quote(text));
      const std::string name = trim(text.substr(4, comma - 4));
      const std::string size = trim(text.substr(comma + 1));
      if (name.empty() || size.empty())
        fail_value(regions[k], x, "expected \"dm:/NAME,SIZE_MB\" or \"hv:/NAME,SIZE_MB\", got " + quote(text));
      join(regions[k], x, dm, name, size, vm_name);
    }
  }

  void join(pugi::xml_node at, const std::string& x, bool dm, const std::string& name, const std::string& size,
            const std::string& vm_name) {
    Node* list = tree_.root.find("ivshmem");
    if (!list || list->kind != Node::Kind::list) list = &tree_.root.set("ivshmem", Node::list(doc_.at(at)));
    Node* region = nullptr;
    std::size_t index = 0;
    for (std::size_t i = 0; i < list->items.size(); ++i)
      if (text_of(list->items[i], "name") == name) region = &list->items[index = i];
    if (!region) {
      // ACRN 2.x's hypervisor makes only the scenario's IVSHMEM_REGIONs: a
      // launch file's hv:/ region it lacks fails acrn-dm's HC_CREATE_VDEV.
      if (!dm)
        fail_value(at, x,
                   "hv-land region " + quote(name) +
                       " is not among the scenario's IVSHMEM_REGIONs, the only ones ACRN's hypervisor provides");
      const std::string f = path_at("ivshmem", list->items.size());
      for (const char* field : {"", ".name", ".provider", ".size_mib", ".members"}) show(f + field, x);
      Node r = Node::mapping(doc_.at_value(at));
      r.set("name", Node::scalar(name, doc_.at_value(at)));
      r.set("provider", Node::scalar("Device Model", doc_.at_value(at)));
      r.set("size_mib", Node::scalar(size, doc_.at_value(at)));
      r.set("members", Node::list(doc_.at_value(at)));
      list->items.push_back(std::move(r));
      index = list->items.size() - 1;
      region = &list->items.back();
      dm_sizes_[name] = size;
    } else if (dm && dm_sizes_.count(name) && dm_sizes_[name] != size) {
      fail_value(at, x,
                 "dm-land region " + quote(name) + " is " + size + " MB here and " + dm_sizes_[name] +
                     " MB for an earlier user VM");
    }
    Node* members = region->find("members");
    if (!members || members->kind != Node::Kind::list) members = &region->set("members", Node::list(doc_.at(at)));
    for (const Node& m : members->items)
      if (text_of(m, "vm") == vm_name) return;  // the scenario lists it already
    const std::string mf = path_at(path_at("ivshmem", index) + ".members", members->items.size());
    show(mf, x);
    show(mf + ".vm", x);
    Node m = Node::mapping(doc_.at_value(at));
    m.set("vm", Node::scalar(vm_name, doc_.at_value(at)));
    members->items.push_back(std::move(m));
  }

  static std::string trim(const std::string& s) {
    const std::size_t a = s.find_first_not_of(" \t\r\n");
    if (a == std::string::npos) return "";
    return s.substr(a, s.find_last_not_of(" \t\r\n") - a + 1);
  }

  ScenarioTree& tree_;
  const XmlDocument& doc_;
  std::set<const void*> read_;
  std::map<std::string, std::string> dm_sizes_;  // dm-land regions the launch file made, their sizes
};

}  // namespace

bool is_acrn_launch_file(const XmlDocument& doc) {
  const pugi::xml_node root = doc.root();
  return std::strcmp(root.name(), "acrn-config") == 0 &&
         (root.attribute("user_vm_launcher") || root.attribute("uos_launcher"));
}

void apply_acrn_launch_file(ScenarioTree& tree, const XmlDocument& launch) { LaunchMerger(tree, launch).merge(); }

}  // namespace ivsim
