#include "platforms/bar_allocator.h"

#include <algorithm>
#include <numeric>
#include <set>
#include <tuple>

#include <fmt/format.h>

namespace ivsim {

namespace {

constexpr u64 kMem64 = 0x4;          // memory BAR, 64-bit
constexpr u64 kMem64Prefetch = 0xC;  // memory BAR, 64-bit, prefetchable
// gpa.py: BAR0_SHEMEM_SIZE, BAR1_SHEMEM_SIZE, PCI_VUART_VBAR0_SIZE and
// _VBAR1_SIZE are 4 KiB, VBAR_ALIGNMENT the least alignment; a BAR below
// PCI_HOLE_THRESHOLD on the host is not the guest's to place.
constexpr u64 kGpaSmallBar = 0x1000;
constexpr u64 kPciHoleThreshold = 0x10'0000;
// ivshmem.c: IVSHMEM_REG_SIZE (BAR0) and IVSHMEM_MSIX_PBA_SIZE (BAR1).
constexpr u64 kDmIvshmemRegBytes = 0x100;
constexpr u64 kDmIvshmemMsixBytes = 0x1000;
// launch_cfg_gen.py VirtualBDFAllocator: the slots it hands out (0, 1, 2 and
// 31 are the host bridge's, the LPC's, the GPU's and the LPC bridge's).
constexpr unsigned kDmFirstFreeSlot = 3, kDmLastFreeSlot = 29;
// pci_emul_alloc_pbar: a 64-bit BAR of at most 32 MiB goes below 4 GiB
// unless the VM boots OVMF.
constexpr u64 kDmLowBarLimit = 32 * kMiB;
// ... and one of exactly 4 GiB stays at the host's address (peer-to-peer DMA).
constexpr u64 kDmHostBaseBar = 4 * kGiB;
// Larger than any window: a board file's BAR this long fits nowhere (and
// rounding it up to a power of two or an alignment would overflow).
constexpr u64 kLargestBar = u64{1} << 48;

std::string hex(u64 v) { return fmt::format("{:#x}", v); }

// A passed-through device's memory BARs as the board file lists them.
const std::vector<PciBarResource>* board_bars(const Board& board, pci::Bdf bdf) {
  auto it = board.pci.devices.find(bdf.value());
  return it == board.pci.devices.end() ? nullptr : &it->second;
}

// One VM's BAR requests, in the order gpa.py inserts them into its
// dictionaries (a key inserted again keeps its place and takes the new size).
struct GpaRequests {
  struct Request {
    std::string key;
    u64 size;
  };
  std::vector<Request> bars32, bars64;
  static void put(std::vector<Request>& list, const std::string& key, u64 size) {
    for (Request& r : list)
      if (r.key == key) {
        r.size = size;
        return;
      }
    list.push_back({key, size});
  }
};

class Allocation {
 public:
  Allocation(const Scenario& s, const Board& b) : s_(s), board_(b) {}

  IvshmemBarMap run() {
    for (const VmConfig& vm : s_.vms) {
      if (vm.load_order == LoadOrder::post_launched)
        acrn_dm(vm);
      else
        configurator(vm);
    }
    return bars_;
  }

 private:
  // The IVSHMEM devices of a VM, as (region, member) in the scenario's order.
  std::vector<std::pair<std::size_t, std::size_t>> devices_of(const VmConfig& vm) const {
    std::vector<std::pair<std::size_t, std::size_t>> out;
    for (std::size_t r = 0; r < s_.regions.size(); ++r)
      for (std::size_t m = 0; m < s_.regions[r].members.size(); ++m)
        if (s_.regions[r].members[m].vm == vm.name) out.emplace_back(r, m);
    return out;
  }
  static std::string ivshmem_key(std::size_t r) { return "IVSHMEM_" + std::to_string(r); }
  static std::string pt_key(std::size_t k, const std::string& bar) {
    return "pci_devs[" + std::to_string(k) + "]/" + bar;
  }

  // gpa.py allocate_pci_bar for one pre-launched or Service VM.
  void configurator(const VmConfig& vm) {
    GpaRequests req;
    // insert_vuart_to_dev_dict, insert_ivsheme_to_dev_dict, insert_pt_devs_to_dev_dict.
    for (unsigned v = 0; v < vm.pci_vuarts; ++v) {
      GpaRequests::put(req.bars32, "VUART_" + std::to_string(v) + "/bar0", kGpaSmallBar);
      GpaRequests::put(req.bars32, "VUART_" + std::to_string(v) + "/bar1", kGpaSmallBar);
    }
    const auto devices = devices_of(vm);
    for (const auto& [r, m] : devices) {
      GpaRequests::put(req.bars32, ivshmem_key(r) + "/bar0", kGpaSmallBar);
      GpaRequests::put(req.bars32, ivshmem_key(r) + "/bar1", kGpaSmallBar);
      GpaRequests::put(req.bars64, ivshmem_key(r) + "/bar2", s_.regions[r].size_mib * kMiB);
    }
    // A device the board file does not list brings no BARs (gpa.py skips
    // it); its vMSI-X BAR (insert_vmsix_to_dev_dict) is never added, as
    // gpa.py compares a (vendor, identifier) pair with "vendor:device" strings.
    for (std::size_t k = 0; k < vm.pci_devs.size(); ++k)
      if (const auto* bars = board_bars(board_, vm.pci_devs[k]))
        for (const PciBarResource& bar : *bars) {
          if (bar.id.empty() || bar.window.start < kPciHoleThreshold) continue;
          GpaRequests::put(bar.width == 32 ? req.bars32 : req.bars64, pt_key(k, bar.id), bar.len);
        }

    std::vector<AddrWindow> low, high, used_low, used_high;
    if (vm.load_order == LoadOrder::pre_launched || board_.pci.bus_windows.empty()) {
      // PRE_LAUNCHED_VM_LOW_MEM_START ..; a board without its PCI tree gives
      // the Service VM these too (the configurator would have none).
      low = {{kPciWindow32Start, kPciWindow32End - 1}};
      high = {{kPciWindow64Start, kPciWindow64End - 1}};
    } else {
      // get_pci_hole_native, get_devs_mem_native less get_devs_mem_passthrough.
      std::vector<AddrWindow> windows;
      for (const AddrWindow& w : board_.pci.bus_windows)
        if (w.start >= kPciHoleThreshold) windows.push_back(w);
      std::sort(windows.begin(), windows.end());
      windows.erase(std::unique(windows.begin(), windows.end()), windows.end());
      for (const AddrWindow& w : windows) (w.end < 4 * kGiB ? low : high).push_back(w);
      const std::vector<AddrWindow> passed = passed_through_ranges();
      auto native_in = [&](const std::vector<AddrWindow>& mems) {
        std::vector<AddrWindow> out;
        for (const AddrWindow& d : board_.pci.native_ranges)
          if (std::any_of(mems.begin(), mems.end(), [&](const AddrWindow& m) { return m.contains(d); }) &&
              std::find(passed.begin(), passed.end(), d) == passed.end())
            out.push_back(d);
        std::sort(out.begin(), out.end());
        return out;
      };
      used_low = native_in(low);
      used_high = native_in(high);
    }

    GpaWindowAllocator a32(low, used_low);
    const std::vector<u64> base32 = allocate(a32, req.bars32, vm);
    std::vector<AddrWindow> windows64 = low, used64 = a32.used();
    windows64.insert(windows64.end(), high.begin(), high.end());
    used64.insert(used64.end(), used_high.begin(), used_high.end());
    GpaWindowAllocator a64(windows64, used64);
    const std::vector<u64> base64 = allocate(a64, req.bars64, vm);

    auto base_of = [](const std::vector<GpaRequests::Request>& list, const std::vector<u64>& bases,
                      const std::string& key) {
      for (std::size_t i = 0; i < list.size(); ++i)
        if (list[i].key == key) return bases[i];
      return u64{0};
    };
    for (const auto& [r, m] : devices) {
      IvshmemBarValues& v = bars_[{r, m}];
      v.bar0 = static_cast<u32>(base_of(req.bars32, base32, ivshmem_key(r) + "/bar0"));
      v.bar1 = static_cast<u32>(base_of(req.bars32, base32, ivshmem_key(r) + "/bar1"));
      // create_device_node: BAR2 is 64-bit and prefetchable wherever it lands.
      v.bar2 = base_of(req.bars64, base64, ivshmem_key(r) + "/bar2") | kMem64Prefetch;
    }
  }

  // The memory BARs of every pre-launched VM's passed-through devices, as
  // the host has them (get_devs_mem_passthrough): the Service VM's windows
  // get them back.
  std::vector<AddrWindow> passed_through_ranges() const {
    std::vector<AddrWindow> out;
    for (const VmConfig& vm : s_.vms)
      if (vm.load_order == LoadOrder::pre_launched)
        for (pci::Bdf bdf : vm.pci_devs)
          if (const auto* bars = board_bars(board_, bdf))
            for (const PciBarResource& bar : *bars)
              if (bar.direct) out.push_back(bar.window);
    return out;
  }

  std::vector<u64> allocate(GpaWindowAllocator& a, const std::vector<GpaRequests::Request>& list,
                            const VmConfig& vm) const {
    std::vector<u64> sizes;
    for (const auto& r : list) sizes.push_back(r.size);
    try {
      return a.allocate(sizes);
    } catch (const GpaWindowAllocator::NoRoom& e) {
      throw BarAllocationError(
          std::string(vm.load_order == LoadOrder::service_vm && !board_.pci.bus_windows.empty()
                          ? "the host's PCI hole (the board's host bridge windows less its devices' BARs) has"
                          : "the PCI windows (2-3.5 GiB, 256-512 GiB) have") +
              " no room for a BAR of " + hex(e.size) + " bytes",
          vm.name, device_of(list.at(e.index).key));
    }
  }

  // "IVSHMEM_3/bar2" -> "ivshmem[3]", "pci_devs[1]/bar0" -> "pci_devs[1]",
  // a vUART -> "pci_vuarts".
  static std::string device_of(const std::string& key) {
    if (key.rfind("IVSHMEM_", 0) == 0) return "ivshmem[" + key.substr(8, key.find('/') - 8) + "]";
    if (key.rfind("VUART_", 0) == 0) return "pci_vuarts";
    return key.substr(0, key.find('/'));
  }

  // "bar3" -> 3; -1 for anything else.
  static int bar_index(const std::string& id) {
    return id.size() == 4 && id.compare(0, 3, "bar") == 0 && id[3] >= '0' && id[3] <= '5' ? id[3] - '0' : -1;
  }

  // acrn-dm's init_pci for one post-launched VM: its passed-through devices
  // first (their BARs in index order), then the emulated devices in slot order.
  void acrn_dm(const VmConfig& vm) {
    u64 next32 = kPciWindow32Start, next64 = kPciWindow64Start;
    auto take = [&](u64 size, bool mem64, const std::string& device) -> std::pair<u64, bool> {
      // pci_emul_alloc_pbar: a power of two of at least 16 bytes, placed at
      // a multiple of its size (pci_emul_alloc_resource: of at least a page).
      u64 bytes = std::max<u64>(size, 16);
      if (bytes > kLargestBar)
        throw BarAllocationError("a BAR of " + hex(size) + " bytes fits in none of acrn-dm's windows", vm.name, device);
      if (bytes & (bytes - 1)) bytes = u64{1} << (64 - __builtin_clzll(bytes));
      bool low = !mem64 || (!vm.ovmf && bytes <= kDmLowBarLimit);
      if (mem64 && !low && bytes == kDmHostBaseBar) return {0, false};
      u64& next = low ? next32 : next64;
      const u64 limit = low ? kPciWindow32End : kPciWindow64End;
      const u64 align = std::max<u64>(bytes, kPageSize4K);
      const u64 base = round_up(next, align);
      if (base + align > limit)
        throw BarAllocationError("acrn-dm's " +
                                     std::string(low ? "32-bit window (2-3.5 GiB)" : "64-bit window (256-512 GiB)") +
                                     " has no room for a BAR of " + hex(bytes) + " bytes",
                                 vm.name, device);
      next = base + align;
      return {base, mem64 && !low};
    };
    // cfginitbar: BAR 0 to 5 of the host device, each rounded up to a page.
    for (std::size_t k = 0; k < vm.pci_devs.size(); ++k)
      if (const auto* bars = board_bars(board_, vm.pci_devs[k])) {
        std::vector<const PciBarResource*> by_index;
        for (const PciBarResource& bar : *bars)
          if (bar.direct && bar_index(bar.id) >= 0) by_index.push_back(&bar);
        std::stable_sort(by_index.begin(), by_index.end(),
                         [](const auto* a, const auto* b) { return bar_index(a->id) < bar_index(b->id); });
        for (const PciBarResource* bar : by_index)
          take(round_up(bar->len, kPageSize4K), bar->width == 64, "pci_devs[" + std::to_string(k) + "]");
      }
    // The emulated devices by slot (init_pci's second pass). IVSHMEM devices
    // and any device given a VBDF keep their slots; the others take free
    // ones from 3 up in launch order (launch_cfg_gen.py VirtualBDFAllocator,
    // which adds the IVSHMEM devices first).
    struct Emulated {
      unsigned slot_fn;  // slot << 3 | function: init_pci's walk
      std::size_t order;
      std::pair<std::size_t, std::size_t> ivshmem;
      const DmDevice* dm;
    };
    std::vector<Emulated> emulated;
    std::set<unsigned> taken;
    for (const auto& [r, m] : devices_of(vm)) {
      const pci::Bdf vbdf = s_.regions[r].members[m].vbdf;
      emulated.push_back({vbdf.value() & 0xFFu, emulated.size(), {r, m}, nullptr});
      taken.insert(vbdf.dev);
    }
    for (const DmDevice& d : vm.dm_devices)
      if (d.vbdf) taken.insert(d.vbdf->dev);
    unsigned next_free = kDmFirstFreeSlot;
    for (std::size_t k = 0; k < vm.dm_devices.size(); ++k) {
      const DmDevice& d = vm.dm_devices[k];
      unsigned slot_fn = 0;
      if (d.vbdf) {
        slot_fn = d.vbdf->value() & 0xFFu;
      } else {
        while (taken.count(next_free)) ++next_free;
        if (next_free > kDmLastFreeSlot)
          throw BarAllocationError("acrn-dm's launch script has no free slot left (3-29) for " + d.kind, vm.name,
                                   "dm_devices[" + std::to_string(k) + "]");
        slot_fn = next_free << 3;
        taken.insert(next_free);
      }
      emulated.push_back({slot_fn, emulated.size(), {}, &d});
    }
    std::sort(emulated.begin(), emulated.end(), [](const Emulated& a, const Emulated& b) {
      return std::tie(a.slot_fn, a.order) < std::tie(b.slot_fn, b.order);
    });
    for (const Emulated& e : emulated) {
      if (e.dm) {
        const std::string device = "dm_devices[" + std::to_string(e.dm - vm.dm_devices.data()) + "]";
        for (const DmMemoryBar& bar : dm_device_bars(e.dm->kind)) take(bar.bytes, bar.mem64, device);
        continue;
      }
      const auto [r, m] = e.ivshmem;
      const std::string device = "ivshmem[" + std::to_string(r) + "]";
      IvshmemBarValues& v = bars_[{r, m}];
      v.bar0 = static_cast<u32>(take(kDmIvshmemRegBytes, false, device).first);
      v.bar1 = static_cast<u32>(take(kDmIvshmemMsixBytes, false, device).first);
      const auto [base, high] = take(s_.regions[r].size_mib * kMiB, true, device);
      // Below 4 GiB a 64-bit BAR is not prefetchable (lobits without PCIM_BAR_MEM_PREFETCH).
      v.bar2 = base | (high ? kMem64Prefetch : kMem64);
    }
  }

  const Scenario& s_;
  const Board& board_;
  IvshmemBarMap bars_;
};

}  // namespace

GpaWindowAllocator::GpaWindowAllocator(std::vector<AddrWindow> windows, std::vector<AddrWindow> used)
    : windows_(std::move(windows)), used_(std::move(used)) {}

u64 GpaWindowAllocator::free_address(u64 size) const {
  // get_free_addr, as written: the first aligned start in a window, moved
  // past each used range it meets in address order; taken if it still
  // overlaps that window. Rounding masks, as acrn_config_utilities.round_up
  // does (exact for the power-of-two sizes PCI BARs have).
  if (size == 0 || size > kLargestBar) throw NoRoom{0, size};
  const u64 align = std::max(kGpaSmallBar, size);
  for (const AddrWindow& w : windows_) {
    u64 start = round_up(w.start, align);
    for (const AddrWindow& u : used_)
      if (AddrWindow{start, start + size - 1}.overlaps(u)) start = round_up(u.end + 1, align);
    if (AddrWindow{start, start + size - 1}.overlaps(w)) return start;
  }
  throw NoRoom{0, size};
}

std::vector<u64> GpaWindowAllocator::allocate(const std::vector<u64>& sizes) {
  // alloc_addr: sorted by size, largest first, stably.
  std::vector<std::size_t> order(sizes.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return sizes[a] > sizes[b]; });
  std::vector<u64> bases(sizes.size());
  for (std::size_t i : order) {
    u64 start = 0;
    try {
      start = free_address(sizes[i]);
    } catch (NoRoom& e) {
      e.index = i;
      throw;
    }
    bases[i] = start;
    used_.push_back({start, start + sizes[i] - 1});
    std::sort(used_.begin(), used_.end());
  }
  return bases;
}

IvshmemBarMap allocate_ivshmem_bars(const Scenario& scenario, const Board& board) {
  return Allocation(scenario, board).run();
}

}  // namespace ivsim
