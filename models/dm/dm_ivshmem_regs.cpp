#include "models/dm/dm_ivshmem_regs.h"

namespace ivsim {

// pci_ivshmem_read ends with: switch (size) { 1: &= 0xFF; 2: &= 0xFFFF;
// 4: &= 0xFFFFFFFF; } — other sizes keep the whole 64-bit value.
u64 DmIvshmemRegisters::trapped_bar_read(unsigned size) {
  switch (size) {
    case 1:
      return 0xFF;
    case 2:
      return 0xFFFF;
    case 4:
      return 0xFFFFFFFF;
    default:
      return ~u64{0};
  }
}

// pci_ivshmem_read starts from val = ~0 and sets 0 for the three registers
// "used to support notification/interrupt in future" (IVPosition is 0 since
// the device has no interrupts).
u64 DmIvshmemRegisters::read(u32 offset, unsigned size) const {
  switch (offset) {
    case kIntrMask:
    case kIntrStatus:
    case kIVPosition:
      return 0;
    default:
      return trapped_bar_read(size);
  }
}

void DmIvshmemRegisters::write(u32 offset, unsigned /*size*/, u64 /*value*/) {
  ++writes_ignored_;
  if (offset == kDoorbell) ++doorbell_writes_;
}

}  // namespace ivsim
