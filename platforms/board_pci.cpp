#include "platforms/board_pci.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <set>
#include <sstream>

#include "platforms/config_error.h"
#include "platforms/xml_document.h"

namespace ivsim {

namespace {

// The element path of a resource, naming each bus and device by its
// address: "bus[@address=0x0]/device[@address=0x1f0006]/resource[@id=bar0]".
std::string path_of(pugi::xml_node n) {
  std::vector<std::string> parts;
  for (pugi::xml_node e = n; e && e.type() == pugi::node_element && e.parent().type() == pugi::node_element;
       e = e.parent()) {
    std::string part = e.name();
    for (const char* key : {"address", "id"})
      if (const pugi::xml_attribute a = e.attribute(key)) {
        part += std::string("[@") + key + "=" + a.value() + "]";
        break;
      }
    parts.push_back(part);
  }
  std::string path;
  for (auto it = parts.rbegin(); it != parts.rend(); ++it) path += (path.empty() ? "" : "/") + *it;
  return path;
}

class PciReader {
 public:
  explicit PciReader(const XmlDocument& doc) : doc_(doc) {}

  BoardPci read() {
    BoardPci pci;
    std::set<AddrWindow> secondary;
    std::vector<AddrWindow> bars;
    walk(doc_.root(), pci, secondary, bars);
    read_listed(pci);
    // get_devs_mem_native: the BARs outside every bridge window, then the
    // bridge windows no other one contains.
    for (const AddrWindow& b : bars)
      if (std::none_of(secondary.begin(), secondary.end(), [&](const AddrWindow& w) { return w.contains(b); }))
        pci.native_ranges.push_back(b);
    for (const AddrWindow& w : secondary)
      if (std::none_of(secondary.begin(), secondary.end(),
                       [&](const AddrWindow& o) { return !(o == w) && o.contains(w); }))
        pci.native_ranges.push_back(w);
    return pci;
  }

 private:
  // int(x, 16), as gpa.py reads every address and length.
  u64 hex(pugi::xml_node n, const char* attr) const {
    const std::string t = n.attribute(attr).value();
    std::string_view v = t;
    if (v.size() > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) v.remove_prefix(2);
    u64 out = 0;
    const auto r = std::from_chars(v.data(), v.data() + v.size(), out, 16);
    if (v.empty() || r.ec != std::errc() || r.ptr != v.data() + v.size())
      throw ConfigError(doc_.at_attribute(n, attr), path_of(n) + "/@" + attr,
                        "expected a hex number, got \"" + t + "\"");
    return out;
  }

  // Each line of <PCI_DEVICE> that starts with a BDF names a device; the
  // indented "Region N: ..." lines below it do not.
  void read_listed(BoardPci& pci) const {
    std::istringstream text(doc_.root().child("PCI_DEVICE").child_value());
    for (std::string line; std::getline(text, line);) {
      const auto first = line.find_first_not_of(" \t");
      if (first == std::string::npos) continue;
      const auto end = line.find(' ', first);
      const auto bdf = pci::Bdf::parse(line.substr(first, end == std::string::npos ? std::string::npos : end - first));
      if (bdf) pci.listed.emplace(bdf->value(), line.substr(first));
    }
  }

  static bool is(pugi::xml_node n, const char* name) { return std::strcmp(n.name(), name) == 0; }
  static bool is_memory(pugi::xml_node r) {
    return is(r, "resource") && std::strcmp(r.attribute("type").value(), "memory") == 0;
  }
  // A device's BDF from its bus's and its own address attribute.
  bool bdf_of(pugi::xml_node device, u16& out) const {
    const pugi::xml_node bus = device.parent();
    if (!is(bus, "bus") || std::strcmp(bus.attribute("type").value(), "pci") != 0 || !bus.attribute("address") ||
        !device.attribute("address"))
      return false;
    const u64 b = hex(bus, "address"), a = hex(device, "address");
    if (b > 0xFF || (a >> 16) > 0x1F || (a & 0xFFFF) > 7) return false;
    out = pci::Bdf{static_cast<u8>(b), static_cast<u8>(a >> 16), static_cast<u8>(a & 7)}.value();
    return true;
  }

  void walk(pugi::xml_node e, BoardPci& pci, std::set<AddrWindow>& secondary, std::vector<AddrWindow>& bars) {
    for (const pugi::xml_node c : e.children()) {
      if (c.type() != pugi::node_element) continue;
      if (is_memory(c)) resource(c, pci, secondary, bars);
      u16 bdf = 0;
      if (is(c, "capability") && std::strcmp(c.attribute("id").value(), "MSI-X") == 0 && is(e, "device") &&
          bdf_of(e, bdf))
        pci.msix.insert(bdf);
      walk(c, pci, secondary, bars);
    }
  }

  void resource(pugi::xml_node r, BoardPci& pci, std::set<AddrWindow>& secondary, std::vector<AddrWindow>& bars) {
    if (!r.attribute("len") || !r.attribute("min") || !r.attribute("max")) return;
    const u64 len = hex(r, "len");
    if (len == 0) return;
    const AddrWindow w{hex(r, "min"), hex(r, "max")};
    const pugi::xml_node parent = r.parent();
    const bool has_id = r.attribute("id"), has_width = r.attribute("width");
    const bool bar_id = std::strncmp(r.attribute("id").value(), "bar", 3) == 0;
    // get_pci_hole_native: a bus's own windows (not BARs, no width).
    if (is(parent, "bus") && !bar_id && !has_width) pci.bus_windows.push_back(w);
    // A bridge's windows: resources of an element with a PCI bus below it.
    for (const pugi::xml_node c : parent.children("bus"))
      if (std::strcmp(c.attribute("type").value(), "pci") == 0) {
        secondary.insert(w);
        break;
      }
    if (!has_width) return;
    if (has_id) bars.push_back(w);
    // The BARs of the device element it is in, directly or below a bridge.
    const unsigned width = std::strcmp(r.attribute("width").value(), "64") == 0 ? 64 : 32;
    bool direct = true;
    for (pugi::xml_node d = parent; d && d.type() == pugi::node_element; d = d.parent()) {
      if (!is(d, "device")) continue;
      u16 bdf = 0;
      if (bdf_of(d, bdf)) pci.devices[bdf].push_back({r.attribute("id").value(), w, len, width, direct});
      direct = false;
    }
  }

  const XmlDocument& doc_;
};

}  // namespace

BoardPci read_board_pci(const XmlDocument& doc) { return PciReader(doc).read(); }

}  // namespace ivsim
