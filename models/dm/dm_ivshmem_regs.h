// The BAR0 register file of an acrn-dm-emulated IVSHMEM device (dm-land), as
// devicemodel/hw/pci/ivshmem.c pci_ivshmem_read / pci_ivshmem_write handle
// it: no interrupts, so nothing is stored and IVPosition is 0.
#pragma once

#include "models/core/types.h"

namespace ivsim {

class DmIvshmemRegisters {
 public:
  static constexpr u32 kIntrMask = 0x00;    // IVSHMEM_IRQ_MASK_REG
  static constexpr u32 kIntrStatus = 0x04;  // IVSHMEM_IRQ_STA_REG
  static constexpr u32 kIVPosition = 0x08;  // IVSHMEM_IV_POS_REG
  static constexpr u32 kDoorbell = 0x0C;    // IVSHMEM_DOORBELL_REG
  static constexpr u32 kBarSize = 256;      // BAR0 MEM32 0x100

  // IntrMask, IntrStatus and IVPosition read 0; any other offset (Doorbell
  // included) reads all-ones. Offsets are matched exactly whatever the size,
  // and the result is masked to 1, 2 or 4 bytes (8-byte reads are unmasked).
  u64 read(u32 offset, unsigned size) const;
  // What pci_ivshmem_read returns for a trapped access to BAR1 or BAR2 (e.g.
  // BAR2 after the guest relocated it): all-ones of the access size.
  static u64 trapped_bar_read(unsigned size);

  // Every write is ignored; it is counted in writes_ignored(), and a write to
  // the Doorbell also in doorbell_writes() (acrn-dm logs "Doorbell capability
  // doesn't support for now").
  void write(u32 offset, unsigned size, u64 value);

  u64 writes_ignored() const { return writes_ignored_; }
  u64 doorbell_writes() const { return doorbell_writes_; }

 private:
  u64 writes_ignored_ = 0;
  u64 doorbell_writes_ = 0;
};

}  // namespace ivsim
