#include "platforms/dm_device.h"

#include <algorithm>

namespace ivsim {

namespace {

constexpr u64 kPage = 0x1000;

// pci_emul_add_msixcap (hw/pci/core.c): the table, MSIX_TABLE_ENTRY_SIZE
// (16) bytes per vector rounded up to 4 KiB, then the PBA (PBA_SIZE: a bit
// per vector in 64-bit words), one 32-bit BAR. A virtio device asks for one
// vector per queue plus one for its configuration (virtio_intr_init).
DmMemoryBar msix_bar(u64 vectors) {
  const u64 table = (vectors * 16 + kPage - 1) / kPage * kPage;
  const u64 pba = (vectors + 63) / 64 * 8;
  return {table + pba, false};
}

// VIRTIO_MODERN_MEM_BAR_SIZE (include/virtio.h): four 4 KiB capability
// regions, a 64-bit BAR (virtio_set_modern_mmio_bar).
constexpr DmMemoryBar kVirtioModernBar{4 * kPage, true};

}  // namespace

const std::vector<std::string>& dm_device_kinds() {
  static const std::vector<std::string> kinds = {"uart",       "xhci",       "virtio-input", "virtio-console",
                                                 "virtio-net", "virtio-blk", "virtio-gpu",   "vhost-vsock"};
  return kinds;
}

bool is_dm_device_kind(const std::string& kind) {
  const auto& kinds = dm_device_kinds();
  return std::find(kinds.begin(), kinds.end(), kind) != kinds.end();
}

std::vector<DmMemoryBar> dm_device_bars(const std::string& kind) {
  // uart.c pci_uart_init, hv-land (vuart_idx, as the launch script gives):
  // BAR0 of 256 bytes and BAR1 of a page, both 32-bit.
  if (kind == "uart") return std::vector<DmMemoryBar>{{0x100, false}, {kPage, false}};
  // xhci.c pci_xhci_init: BAR0 up to regsend, the runtime registers' end
  // without extended capabilities: dboff XHCI_CAPLEN 0x40 + 0x400 + 20
  // (XHCI_MAX_DEVS) port register sets of 16 bytes = 0x580; rtsoff after 65
  // (XHCI_MAX_SLOTS + 1) doorbells of 32 bytes = 0xDA0; + XHCI_RT_IR_BASE
  // 0x20 + sizeof(struct pci_xhci_rtsregs) 0x38.
  if (kind == "xhci") return std::vector<DmMemoryBar>{{0xDF8, false}};
  // virtio_input_init: virtio_interrupt_init (2 queues), then
  // virtio_set_modern_bar with a PIO notify BAR (I/O) and the modern BAR.
  if (kind == "virtio-input") return std::vector<DmMemoryBar>{msix_bar(3), kVirtioModernBar};
  // virtio_console_init: VIRTIO_CONSOLE_MAXQ (16 ports * 2 + 2) queues; the
  // legacy BAR0 is I/O.
  if (kind == "virtio-console") return std::vector<DmMemoryBar>{msix_bar(35)};
  // virtio_net_init: VIRTIO_NET_MAXQ - 1 queues.
  if (kind == "virtio-net") return std::vector<DmMemoryBar>{msix_bar(3)};
  // virtio_blk_init: one queue unless the options ask for more.
  if (kind == "virtio-blk") return std::vector<DmMemoryBar>{msix_bar(2)};
  // virtio_gpu_init: BAR0 the 16 MiB VGA framebuffer (VIRTIO_GPU_VGA_FB_SIZE),
  // BAR2 the modern registers, then virtio_intr_init's MSI-X in BAR4 (2
  // queues); BAR5 is I/O.
  if (kind == "virtio-gpu") return std::vector<DmMemoryBar>{{16 * kMiB, false}, kVirtioModernBar, msix_bar(3)};
  // vhost_vsock_init: virtio_set_modern_bar (no PIO notify) before
  // virtio_interrupt_init (VHOST_VSOCK_MAXQ, 3 queues).
  if (kind == "vhost-vsock") return std::vector<DmMemoryBar>{kVirtioModernBar, msix_bar(4)};
  return {};
}

}  // namespace ivsim
