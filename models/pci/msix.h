// The emulated MSI-X capability and its table/PBA BAR, as ACRN's vmsix.c
// builds it for hypervisor-emulated devices (hypervisor/dm/vpci/vmsix.c:
// add_vmsix_capability, write_vmsix_cap_reg, rw_vmsix_table).
#pragma once

#include <vector>

#include "models/core/types.h"
#include "models/pci/config_space.h"

namespace ivsim::pci {

constexpr u8 kCapIdMsix = 0x11;     // PCIY_MSIX
constexpr u32 kMsixCapLength = 12;  // MSIX_CAPLEN: id, next, Message Control, Table, PBA
// Capability-relative offsets.
constexpr u32 kMsixMessageControl = 0x02;  // PCIR_MSIX_CTRL
constexpr u32 kMsixTableOffsetBir = 0x04;
constexpr u32 kMsixPbaOffsetBir = 0x08;
// Message Control bits (hypervisor/include/hw/pci.h).
constexpr u16 kMsixCtrlTableSize = 0x07FF;
constexpr u16 kMsixCtrlFunctionMask = 0x4000;
constexpr u16 kMsixCtrlEnable = 0x8000;

constexpr u32 kMsixTableEntryBytes = 16;     // MSIX_TABLE_ENTRY_SIZE
constexpr u32 kMsixVectorControlMask = 0x1;  // PCIM_MSIX_VCTRL_MASK
// BAR layout: table at 0, PBA at VMSIX_MAX_ENTRY_TABLE_SIZE, one 4 KiB BAR
// (hypervisor/dm/vpci/vpci_priv.h).
constexpr u32 kMsixPbaOffset = 0x800;
constexpr u32 kMsixBarSize = 0x1000;       // VMSIX_ENTRY_TABLE_PBA_BAR_SIZE
constexpr unsigned kMsixMaxEntries = 128;  // VMSIX_MAX_TABLE_ENTRY_NUM

// One table entry as an interrupt source sees it.
struct MsiMessage {
  u64 addr = 0;  // Message Upper Address << 32 | Message Address
  u32 data = 0;
  bool masked = true;  // Vector Control bit 0
};

class MsixCapability {
 public:
  // add_vmsix_capability(vdev, entries, bar): appends the 12-byte capability
  // to `cfg` (Table Size = entries-1, table in `bar` at offset 0, PBA in
  // `bar` at 0x800), makes only Function Mask and MSI-X Enable writable, and
  // masks every table entry. `cfg` must outlive this object; the capability
  // reads Message Control from it, since guest config writes land there.
  explicit MsixCapability(ConfigSpace& cfg, unsigned entries = 8, unsigned bar = 1);

  u32 capability_offset() const { return capoff_; }
  unsigned table_count() const { return static_cast<unsigned>(table_.size() / kWordsPerEntry); }
  unsigned table_bar() const { return bar_; }

  // Message Control as the guest last wrote it.
  bool enabled() const;
  bool function_masked() const;
  // Enable = 1 and Function Mask = 0: ACRN vpci_vmsix_enabled (vpci.c), the
  // condition ivshmem_server_notify_peer checks before delivering.
  bool vmsix_enabled() const { return enabled() && !function_masked(); }

  // Entry i of the table; throws std::out_of_range if i >= table_count().
  MsiMessage entry(unsigned i) const;

  // Guest access to the table/PBA BAR at `offset` (rw_vmsix_table):
  // - accesses that are not 1/2/4/8 bytes naturally aligned, or lie outside
  //   the 4 KiB BAR, are ignored;
  // - in the table, only 4- and 8-byte accesses act ("Only DWORD and QWORD
  //   are permitted"), others are ignored;
  // - past the table (the PBA at 0x800 and the gap before it) reads return 0
  //   and writes are dropped: an emulated device has no physical PBA.
  // A read is rw_vmsix_table's on the request's `value`: a table read copies
  // its 4 or 8 bytes over the value's low bytes (memcpy_s), a read past the
  // table sets it to 0, and an ignored read leaves it as the previous
  // request left it. Returns whether the read was served.
  bool table_read(u32 offset, unsigned size, u64& value) const;
  // True when the write changed table state.
  bool table_write(u32 offset, unsigned size, u64 value);
  // An aligned 1- or 2-byte access inside the table: the one rw_vmsix_table
  // refuses with its pr_err ("Only DWORD and QWORD are permitted").
  bool sub_dword_table_access(u32 offset, unsigned size) const {
    return (size == 1 || size == 2) && offset % size == 0 && offset < table_count() * kMsixTableEntryBytes;
  }

 private:
  static constexpr unsigned kWordsPerEntry = kMsixTableEntryBytes / 4;  // addr_lo, addr_hi, data, vector_control

  const ConfigSpace* cfg_;
  u32 capoff_ = 0;
  unsigned bar_ = 0;
  std::vector<u32> table_;  // entries * 4 dwords, in table order
};

// ACRN's name for the constructor above.
inline MsixCapability add_vmsix_capability(ConfigSpace& cfg, unsigned entries = 8, unsigned bar = 1) {
  return MsixCapability(cfg, entries, bar);
}

}  // namespace ivsim::pci
