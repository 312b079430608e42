// A guest IVSHMEM driver in the shape of Zephyr's (ivshmem_get_mem,
// ivshmem_get_id, ivshmem_int_peer) over a Linux-style PCI bring-up: find
// the device, size and re-program its BARs, enable memory decoding, read
// IVPosition from the trapped register BAR.
#pragma once

#include <optional>

#include "models/pci/bdf.h"
#include "workloads/guest_api.h"

namespace ivsim {

struct IvshmemGuestDevice {
  pci::Bdf bdf;
  Gpa regs = 0;  // BAR0: IntrMask, IntrStatus, IVPosition, Doorbell
  u64 regs_size = 0;
  Gpa msix_table = 0;  // BAR1: MSI-X table (hv-land) or an empty BAR (dm-land)
  Gpa shmem = 0;       // BAR2: the shared memory
  u64 shmem_size = 0;
  u32 ivposition = 0;
};

// Probes bdf; nullopt when no 1af4:1110 device answers there.
std::optional<IvshmemGuestDevice> ivshmem_probe(Guest& g, pci::Bdf bdf);

// The MSI address of a fixed-delivery, physical-destination message to the
// CPU with this APIC ID (address bits 19:12), as x86's MSI format has it.
constexpr u64 msi_address(u32 apic_id) { return 0xFEE0'0000ULL | (u64{apic_id & 0xFF} << 12); }

// Points MSI-X table entry `vector` at (msi_addr, msi_data), unmasks it and
// enables MSI-X in the capability, as a driver's pci_enable_msix does. False
// when the device has no MSI-X capability (dm-land).
bool ivshmem_setup_msix(Guest& g, const IvshmemGuestDevice& dev, u16 vector, u64 msi_addr, u32 msi_data);

// Zephyr's ivshmem_get_id: IVPosition, read from the register BAR.
u32 ivshmem_get_id(Guest& g, const IvshmemGuestDevice& dev);
// Zephyr's ivshmem_int_peer: ring `peer` on `vector` (a Doorbell write).
void ivshmem_int_peer(Guest& g, const IvshmemGuestDevice& dev, u32 peer, u16 vector);

}  // namespace ivsim
