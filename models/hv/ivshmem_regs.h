// The BAR0 register file of a hypervisor-emulated IVSHMEM device (hv-land),
// as ACRN's ivshmem_mmio_handler handles it (hypervisor/dm/vpci/ivshmem.c).
// Layout per the QEMU ivshmem spec: IntrMask, IntrStatus, IVPosition, Doorbell.
#pragma once

#include <optional>

#include "models/core/types.h"

namespace ivsim {

// A guest doorbell write decoded (union ivshmem_doorbell: vector_index in
// bits 15:0, peer_id in bits 31:16). The register file only decodes it;
// delivery (ivshmem_server_notify_peer) is the hypervisor's job.
struct DoorbellRequest {
  VmId peer = 0;
  u16 vector = 0;
};

class IvshmemRegisters {
 public:
  static constexpr u32 kIntrMask = 0x00;     // IVSHMEM_IRQ_MASK_REG
  static constexpr u32 kIntrStatus = 0x04;   // IVSHMEM_IRQ_STA_REG
  static constexpr u32 kIVPosition = 0x08;   // IVSHMEM_IV_POS_REG
  static constexpr u32 kDoorbell = 0x0C;     // IVSHMEM_DOORBELL_REG
  static constexpr u32 kRegisterBytes = 16;  // sizeof(ivs_dev->mmio): offsets >= 16 are reserved
  static constexpr u32 kBarSize = 256;       // IVSHMEM_MMIO_BAR_SIZE

  // IVPosition is the owning VM's id (ivshmem_server_bind_peer).
  explicit IvshmemRegisters(VmId ivposition) : ivposition_(ivposition) {}

  // Whether the handler acts on this access: 4 bytes, 4-byte aligned, below
  // offset 16. Everything else is silently ignored.
  static bool acts(u32 offset, unsigned size) { return size == 4 && offset % 4 == 0 && offset < kRegisterBytes; }

  // Reads IntrMask/IntrStatus (plain storage, not clear-on-read),
  // IVPosition, or Doorbell (0). `acted` is false for an ignored access and
  // the result is then 0, which the caller does not use: the handler leaves
  // the request's value as it was (IvshmemDevice::mmio_read).
  u32 read(u32 offset, unsigned size, bool& acted) const;
  // Stores IntrMask/IntrStatus, ignores IVPosition, and decodes a Doorbell
  // write into the request to deliver. Ignored accesses return nullopt.
  std::optional<DoorbellRequest> write(u32 offset, unsigned size, u32 value);

  // Back to the state after device creation (registers zeroed,
  // create_ivshmem_device) with IVPosition kept, as the bind sets it again.
  void reset();

  u32 intr_mask() const { return intr_mask_; }
  u32 intr_status() const { return intr_status_; }
  VmId ivposition() const { return ivposition_; }

 private:
  u32 intr_mask_ = 0;
  u32 intr_status_ = 0;
  VmId ivposition_;
};

}  // namespace ivsim
