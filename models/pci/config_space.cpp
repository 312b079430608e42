#include "models/pci/config_space.h"

#include <stdexcept>

namespace ivsim::pci {

namespace {


// ACRN pci_is_valid_access (hypervisor/include/hw/pci.h): 1, 2 or 4 bytes,
// naturally aligned. Accesses failing it never reach the vdev.
bool valid_access(u32 off, unsigned size) {
  return (size == 1 || size == 2 || size == 4) && off % size == 0 && off + size <= kConfigBytes;
}

u32 size_mask(unsigned size) { return size >= 1 && size < 4 ? (u32{1} << (8 * size)) - 1 : ~u32{0}; }

// ACRN vpci_pio_cfgdata_read / vpci_mmio_cfg_access start from val = ~0U and
// leave it when the access is invalid; the I/O emulation returns the access
// size's worth of it.
u32 all_ones(unsigned size) { return size_mask(size); }

void check_range(u32 off, unsigned size, const char* what) {
  if (off >= kConfigBytes || size > kConfigBytes - off) throw std::out_of_range(what);
}

}  // namespace

ConfigSpace::ConfigSpace() {
  // The Command register is the only header field the guest may change by
  // default. (ACRN's ivshmem vdev stores every non-BAR, non-MSI-X write as-is,
  // write_ivshmem_vdev_cfg → pci_vdev_write_vcfg; the model keeps the other
  // header fields read-only so a guest cannot rename the device.)
  wmask_[kCommand] = 0xFF;
  wmask_[kCommand + 1] = 0xFF;
}

u64 ConfigSpace::load(u32 off, unsigned size) const {
  u64 v = 0;
  for (unsigned i = size; i-- > 0;) v = (v << 8) | bytes_[off + i];  // little-endian
  return v;
}

void ConfigSpace::store_masked(u32 off, unsigned size, u32 value) {
  for (unsigned i = 0; i < size; ++i) {
    const u8 m = wmask_[off + i];
    const u8 b = static_cast<u8>(value >> (8 * i));
    bytes_[off + i] = static_cast<u8>((bytes_[off + i] & ~m) | (b & m));
  }
}

void ConfigSpace::init_u8(u32 off, u8 v) {
  check_range(off, 1, "ConfigSpace::init_u8: offset beyond config space");
  bytes_[off] = v;
}

void ConfigSpace::init_u16(u32 off, u16 v) {
  check_range(off, 2, "ConfigSpace::init_u16: offset beyond config space");
  for (unsigned i = 0; i < 2; ++i) bytes_[off + i] = static_cast<u8>(v >> (8 * i));
}

void ConfigSpace::init_u32(u32 off, u32 v) {
  check_range(off, 4, "ConfigSpace::init_u32: offset beyond config space");
  for (unsigned i = 0; i < 4; ++i) bytes_[off + i] = static_cast<u8>(v >> (8 * i));
}

u16 ConfigSpace::raw_u16(u32 off) const {
  check_range(off, 2, "ConfigSpace::raw_u16: offset beyond config space");
  return static_cast<u16>(load(off, 2));
}

u32 ConfigSpace::raw_u32(u32 off) const {
  check_range(off, 4, "ConfigSpace::raw_u32: offset beyond config space");
  return static_cast<u32>(load(off, 4));
}

// As ACRN init_ivshmem_bar (hypervisor/dm/vpci/ivshmem.c): mask = ~(size-1),
// the upper register of a mem64 BAR gets the upper 32 bits of that mask and
// is_mem64hi; the configured base is written through the same masking as a
// guest write, but nothing is mapped (vbar map callbacks run only from
// write_ivshmem_vdev_cfg), hence decoded_ stays false.
void ConfigSpace::declare_bar(unsigned idx, BarKind kind, u64 size, bool prefetchable, u64 initial_base) {
  if (idx >= kNumBars) throw std::invalid_argument("declare_bar: BAR index beyond BAR5");
  if (mem64_hi_[idx]) throw std::invalid_argument("declare_bar: BAR is the upper half of a 64-bit BAR");
  if (kind == BarKind::mem64) {
    if (idx + 1 >= kNumBars) throw std::invalid_argument("declare_bar: a 64-bit BAR needs the next BAR as upper half");
    if (bars_[idx + 1].kind != BarKind::none)
      throw std::invalid_argument("declare_bar: the upper half of a 64-bit BAR is already a BAR");
  }
  if (kind != BarKind::none) {
    if (!is_power_of_two(size) || size < 16)
      throw std::invalid_argument("declare_bar: size must be a power of two >= 16");
    if (kind == BarKind::mem32 && size > (u64{1} << 31))
      throw std::invalid_argument("declare_bar: a 32-bit BAR cannot exceed 2 GiB");
    if (kind == BarKind::mem32 && initial_base > 0xFFFFFFFFu)
      throw std::invalid_argument("declare_bar: a 32-bit BAR base must lie below 4 GiB");
  }

  // Forget a previous declaration at this index (and its upper half).
  if (bars_[idx].kind == BarKind::mem64) {
    mem64_hi_[idx + 1] = false;
    bar_mask_[idx + 1] = 0;
    sizing_[idx + 1] = false;
    init_u32(bar_offset(idx + 1), 0);
  }
  bars_[idx] = BarInfo{kind, kind == BarKind::none ? 0 : size, kind != BarKind::none && prefetchable};
  sizing_[idx] = false;
  decoded_[idx] = false;

  if (kind == BarKind::none) {
    bar_mask_[idx] = 0;
    bar_flags_[idx] = 0;
    init_u32(bar_offset(idx), 0);
    return;
  }
  const u64 mask = ~(size - 1);
  bar_mask_[idx] = static_cast<u32>(mask);
  bar_flags_[idx] = (kind == BarKind::mem64 ? kBarMemType64 : 0) | (prefetchable ? kBarPrefetch : 0);
  init_u32(bar_offset(idx), (static_cast<u32>(initial_base) & bar_mask_[idx]) | bar_flags_[idx]);
  if (kind == BarKind::mem64) {
    mem64_hi_[idx + 1] = true;
    bar_mask_[idx + 1] = static_cast<u32>(mask >> 32);
    sizing_[idx + 1] = false;
    init_u32(bar_offset(idx + 1), static_cast<u32>(initial_base >> 32) & bar_mask_[idx + 1]);
  }
}

u64 ConfigSpace::bar_register_base(unsigned idx) const {
  if (idx >= kNumBars) return 0;
  const unsigned lower = pair_lower(idx);
  if (bars_[lower].kind == BarKind::none) return 0;
  u64 base = raw_u32(bar_offset(lower)) & ~kBarFlagBits;
  if (bars_[lower].kind == BarKind::mem64) base |= u64{raw_u32(bar_offset(lower + 1))} << 32;
  return base;
}

// ACRN pci_vdev_update_vbar_base (hypervisor/dm/vpci/vdev.c): the base is 0
// while this register is sizing, or for a mem64 BAR while the upper register
// is sizing; otherwise lo & mask | hi << 32.
u64 ConfigSpace::decode(unsigned lower) const {
  if (bars_[lower].kind == BarKind::none || sizing_[lower]) return 0;
  if (bars_[lower].kind == BarKind::mem64 && sizing_[lower + 1]) return 0;
  return bar_register_base(lower);
}

u64 ConfigSpace::bar_base(unsigned idx) const {
  if (idx >= kNumBars) return 0;
  const unsigned lower = pair_lower(idx);
  return decoded_[lower] ? decode(lower) : 0;
}

u32 ConfigSpace::read(u32 off, unsigned size) const {
  if (!valid_access(off, size)) return all_ones(size);
  return static_cast<u32>(load(off, size));
}

std::optional<BarUpdate> ConfigSpace::write(u32 off, unsigned size, u32 value) {
  if (!valid_access(off, size)) return std::nullopt;  // dropped, as pci_is_valid_access
  value &= size_mask(size);
  if (off >= kBar0 && off < bar_offset(nr_bars_)) return write_bar((off - kBar0) / 4, value);
  store_masked(off, size, value);
  return std::nullopt;
}

// ACRN write_ivshmem_vdev_cfg → vpci_update_one_vbar → pci_vdev_write_vbar
// (hypervisor/dm/vpci/ivshmem.c, vpci.c, vdev.c):
//   sizing = (val == ~0U); reg = val & mask, plus the read-only type bits on
//   a low register; then recompute the pair's base; map again if non-zero.
//
// Partial (1- or 2-byte) BAR writes: ACRN's ivshmem path does not check the
// access size (unlike write_cfg_header for passthrough devices, which drops
// them). It picks the BAR by pci_bar_index(offset) and hands the
// zero-extended 1- or 2-byte value to pci_vdev_write_vbar as if it were the
// whole register. The model does the same: the value is NOT merged with the
// other bytes of the register, and it can never be a sizing write.
std::optional<BarUpdate> ConfigSpace::write_bar(unsigned idx, u32 value) {
  if (bars_[idx].kind == BarKind::none && !mem64_hi_[idx]) return std::nullopt;  // not a BAR: reads 0, writes ignored
  const unsigned lower = pair_lower(idx);
  const u64 old_base = bar_base(lower);

  sizing_[idx] = (value == ~u32{0});
  u32 reg = value & bar_mask_[idx];
  if (!mem64_hi_[idx]) reg |= bar_flags_[idx];
  init_u32(bar_offset(idx), reg);
  decoded_[lower] = true;

  return BarUpdate{lower, old_base, bar_base(lower)};
}

// ACRN vpci_add_capability (hypervisor/dm/vpci/vpci.c): first capability at
// PCI_CFG_HEADER_LENGTH (0x40) with Status.CapList and the capability
// pointer set; each later one at the previous one's end rounded up to 4
// bytes, linked from the previous one's next pointer; next pointer 0.
u32 ConfigSpace::add_capability(u8 cap_id, u32 len) {
  if (len < 2) throw std::invalid_argument("add_capability: a capability has at least id and next pointer");
  const u32 reallen = static_cast<u32>(round_up(len, 4));
  const u32 capoff = next_cap_;
  // ACRN returns 0 when the space is full; a model configuration that does
  // that is a bug, so say so instead of handing out offset 0.
  if (capoff + reallen > kConfigBytes) throw std::length_error("add_capability: no room left in config space");

  if (last_cap_ == 0) {
    bytes_[kCapPointer] = static_cast<u8>(capoff);
    init_u16(kStatus, static_cast<u16>(raw_u16(kStatus) | kStatusCapList));
  } else {
    bytes_[last_cap_ + 1] = static_cast<u8>(capoff);
  }
  bytes_[capoff] = cap_id;
  bytes_[capoff + 1] = 0;
  last_cap_ = capoff;
  next_cap_ = capoff + reallen;
  return capoff;
}

void ConfigSpace::store_raw(u32 off, unsigned size, u32 value) {
  if (!valid_access(off, size)) return;
  for (unsigned i = 0; i < size; ++i) bytes_[off + i] = static_cast<u8>(value >> (8 * i));
}

void ConfigSpace::set_write_mask(u32 off, unsigned size, u32 mask) {
  if (size < 1 || size > 4) throw std::invalid_argument("set_write_mask: size must be 1..4");
  check_range(off, size, "set_write_mask: offset beyond config space");
  for (unsigned i = 0; i < size; ++i) wmask_[off + i] = static_cast<u8>(mask >> (8 * i));
}

}  // namespace ivsim::pci
