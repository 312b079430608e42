#include "models/pci/msix.h"

#include <cstring>
#include <stdexcept>

namespace ivsim::pci {

namespace {

bool mmio_access_ok(u32 offset, unsigned size) {
  // rw_vmsix_table acts only on size <= 8 with mem_aligned_check(address,
  // size); x86 MMIO sizes are 1, 2, 4 or 8. The BAR base is 4 KiB aligned,
  // so the offset's alignment is the address's. It does not bound the
  // offset by the BAR: an offset past it (through a node left at another
  // address, IvshmemDevice::handler_offset) is outside the table like the PBA.
  const bool size_ok = size == 1 || size == 2 || size == 4 || size == 8;
  return size_ok && offset % size == 0;
}

}  // namespace

MsixCapability::MsixCapability(ConfigSpace& cfg, unsigned entries, unsigned bar) : cfg_(&cfg), bar_(bar) {
  // add_vmsix_capability refuses bar_num >= PCI_BAR_COUNT and more entries
  // than VMSIX_MAX_TABLE_ENTRY_NUM.
  if (bar >= kNumBars) throw std::invalid_argument("add_vmsix_capability: BAR index beyond BAR5");
  if (entries == 0 || entries > kMsixMaxEntries)
    throw std::invalid_argument("add_vmsix_capability: entries must be 1..128");

  capoff_ = cfg.add_capability(kCapIdMsix, kMsixCapLength);
  cfg.init_u16(capoff_ + kMsixMessageControl, static_cast<u16>(entries - 1));
  cfg.init_u32(capoff_ + kMsixTableOffsetBir, bar);                 // table at offset 0
  cfg.init_u32(capoff_ + kMsixPbaOffsetBir, kMsixPbaOffset | bar);  // PBA at 0x800
  // write_vmsix_cap_reg's msix_ro_mask: everything read-only except
  // Message Control bits 15:14.
  cfg.set_write_mask(capoff_ + kMsixMessageControl, 2, kMsixCtrlFunctionMask | kMsixCtrlEnable);

  // "set mask bit of vector control register" for every entry.
  table_.assign(std::size_t{entries} * kWordsPerEntry, 0);
  for (unsigned i = 0; i < entries; ++i) table_[i * kWordsPerEntry + 3] = kMsixVectorControlMask;
}

bool MsixCapability::enabled() const { return (cfg_->raw_u16(capoff_ + kMsixMessageControl) & kMsixCtrlEnable) != 0; }

bool MsixCapability::function_masked() const {
  return (cfg_->raw_u16(capoff_ + kMsixMessageControl) & kMsixCtrlFunctionMask) != 0;
}

MsiMessage MsixCapability::entry(unsigned i) const {
  if (i >= table_count()) throw std::out_of_range("MsixCapability::entry: index beyond the table");
  const u32* e = &table_[std::size_t{i} * kWordsPerEntry];
  return MsiMessage{(u64{e[1]} << 32) | e[0], e[2], (e[3] & kMsixVectorControlMask) != 0};
}

bool MsixCapability::table_read(u32 offset, unsigned size, u64& value) const {
  if (!mmio_access_ok(offset, size)) return false;
  if (offset >= table_count() * kMsixTableEntryBytes) {
    value = 0;  // PBA / gap: vdev->pdev == NULL → 0
    return true;
  }
  if (size != 4 && size != 8) return false;
  // An aligned QWORD stays inside one entry; a DWORD leaves the value's
  // upper half as it was.
  std::memcpy(&value, &table_[offset / 4], size);
  return true;
}

bool MsixCapability::table_write(u32 offset, unsigned size, u64 value) {
  if (!mmio_access_ok(offset, size)) return false;
  if (offset >= table_count() * kMsixTableEntryBytes) return false;  // PBA is read-only, nothing behind it
  if (size != 4 && size != 8) return false;
  const std::size_t w = offset / 4;
  table_[w] = static_cast<u32>(value);
  if (size == 8) table_[w + 1] = static_cast<u32>(value >> 32);
  return true;
}

}  // namespace ivsim::pci
