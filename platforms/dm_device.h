#pragma once
// The devices acrn-dm emulates in a post-launched VM beside its IVSHMEM
// devices, as far as they take room in the VM's PCI memory windows: the
// memory BARs each one's init asks pci_emul_alloc_bar for, in the order it
// asks (I/O BARs take no memory room and are left out).

#include <optional>
#include <string>
#include <vector>

#include "models/core/types.h"
#include "models/pci/bdf.h"

namespace ivsim {

struct DmDevice {
  std::string kind;              // acrn-dm's device name: "virtio-blk", "xhci", "uart", ...
  std::optional<pci::Bdf> vbdf;  // the slot the launch script gives it, if any
  // "virtio-blk", or "uart@00:10.0" with a VBDF.
  std::string label() const { return kind + (vbdf ? "@" + vbdf->to_string() : ""); }
};

struct DmMemoryBar {
  u64 bytes;  // as asked; pci_emul_alloc_pbar rounds it up to a power of two
  bool mem64;
};

// The kinds dm_device_bars knows, in the order launch_cfg_gen.py adds them.
const std::vector<std::string>& dm_device_kinds();

bool is_dm_device_kind(const std::string& kind);

// The memory BARs of one device of a kind in dm_device_kinds(), in
// allocation order.
std::vector<DmMemoryBar> dm_device_bars(const std::string& kind);

}  // namespace ivsim
