#include "models/hv/ivshmem_regs.h"

namespace ivsim {

// ivshmem_mmio_handler (hypervisor/dm/vpci/ivshmem.c): reads return
// mmio.data[offset >> 2] except at the Doorbell, which reads 0.
u32 IvshmemRegisters::read(u32 offset, unsigned size, bool& acted) const {
  acted = acts(offset, size);
  if (!acted) return 0;
  switch (offset) {
    case kIntrMask:
      return intr_mask_;
    case kIntrStatus:
      return intr_status_;  // "useless for ivshmem Rev.1": no clear-on-read
    case kIVPosition:
      return ivposition_;
    default:
      return 0;  // Doorbell is write-only
  }
}

// Writes: IVPosition is read-only; the Doorbell goes to
// ivshmem_server_notify_peer(peer_id = bits 31:16, vector_index = bits 15:0);
// IntrMask/IntrStatus are stored with no further effect.
std::optional<DoorbellRequest> IvshmemRegisters::write(u32 offset, unsigned size, u32 value) {
  if (!acts(offset, size)) return std::nullopt;
  switch (offset) {
    case kIntrMask:
      intr_mask_ = value;
      return std::nullopt;
    case kIntrStatus:
      intr_status_ = value;
      return std::nullopt;
    case kDoorbell:
      return DoorbellRequest{static_cast<VmId>(value >> 16), static_cast<u16>(value & 0xFFFF)};
    default:
      return std::nullopt;  // IVPosition
  }
}

void IvshmemRegisters::reset() {
  intr_mask_ = 0;
  intr_status_ = 0;
}

}  // namespace ivsim
