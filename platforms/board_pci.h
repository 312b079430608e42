// The board's PCI memory resources as ACRN's board inspector records them
// (the <bus>/<device>/<resource> tree of a board file): what ACRN's
// configurator needs to place the BARs of a Service VM's virtual devices in
// the host's PCI hole, and the BARs a passed-through device brings along.
// A YAML board, or a board file without the tree, has none.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "models/core/types.h"
#include "models/pci/bdf.h"

namespace ivsim {

class XmlDocument;

// An address range with an inclusive end, as ACRN's gpa.py keeps one (AddrWindow).
struct AddrWindow {
  u64 start = 0;
  u64 end = 0;
  bool overlaps(const AddrWindow& o) const { return !(o.end < start || end < o.start); }
  bool contains(const AddrWindow& o) const { return o.start >= start && o.end <= end; }
  friend bool operator==(const AddrWindow& a, const AddrWindow& b) { return a.start == b.start && a.end == b.end; }
  friend bool operator<(const AddrWindow& a, const AddrWindow& b) {
    return a.start != b.start ? a.start < b.start : a.end < b.end;
  }
};

// A memory BAR of a board device (<resource type="memory" id="barN" width=...>).
struct PciBarResource {
  std::string id;  // "bar0".."bar5"; empty when the board file gives none
  AddrWindow window;
  u64 len = 0;
  unsigned width = 32;  // 32 or 64
  bool direct = true;   // a child of the device element (not of a device behind it)
};

struct BoardPci {
  // Memory windows of every bus element (the host bridges' apertures):
  // gpa.py get_pci_hole_native's input, below and above 4 GiB together.
  std::vector<AddrWindow> bus_windows;
  // The native devices' memory ranges, as gpa.py get_devs_mem_native lists
  // them before keeping those inside a window: each BAR not inside a
  // bridge's window, and each outermost bridge window.
  std::vector<AddrWindow> native_ranges;
  // Each device's memory BARs by its BDF on the host.
  std::map<u16, std::vector<PciBarResource>> devices;
  // The devices <PCI_DEVICE> lists (lspci's lines, "00:1f.6 Ethernet
  // controller: ..."), by BDF: the BDFs the Service VM sees them at, which
  // its virtual devices may not take (vbdf_assignment.xsd).
  std::map<u16, std::string> listed;
  // The devices with an MSI-X capability (<capability id="MSI-X">), by BDF:
  // passed through, each takes an emulated MMIO node for its table when
  // its guest maps the table's BAR (vdev_pt_map_msix).
  std::set<u16> msix;
};

// Reads the tree from a board file; a malformed number is an error located
// at its attribute.
BoardPci read_board_pci(const XmlDocument& doc);

}  // namespace ivsim
