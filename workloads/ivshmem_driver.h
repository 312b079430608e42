// A guest IVSHMEM driver with Zephyr's calls and their semantics
// (include/zephyr/drivers/virtualization/ivshmem.h, drivers/virtualization/
// virt_ivshmem.c): ivshmem_get_mem, ivshmem_get_id, ivshmem_get_vectors,
// ivshmem_int_peer, ivshmem_register_handler; the device found by BDF or as
// the n-th 1af4:1110 function of a bus scan; bring-up as Linux does it (size
// and re-program the BARs, enable memory decoding, read IVPosition from the
// trapped register BAR).
#pragma once

#include <optional>
#include <vector>

#include "models/pci/bdf.h"
#include "workloads/guest_api.h"

namespace ivsim {

// Zephyr's error numbers (lib/libc: errno.h), as the driver returns them negated.
constexpr int kEINVAL = 22;
constexpr int kENOSYS = 38;

struct IvshmemGuestDevice {
  pci::Bdf bdf;
  Gpa regs = 0;  // BAR0: IntrMask, IntrStatus, IVPosition, Doorbell
  u64 regs_size = 0;
  Gpa msix_table = 0;  // BAR1: MSI-X table (hv-land) or an empty BAR (dm-land)
  Gpa shmem = 0;       // BAR2: the shared memory
  u64 shmem_size = 0;
  u32 ivposition = 0;
  // MSI-X vectors the driver allocated: every entry of the device's table
  // (ACRN's hv-land: 8), or 0 when it has no MSI-X capability (dm-land), so
  // the doorbell calls answer -ENOSYS as Zephyr built without
  // CONFIG_IVSHMEM_DOORBELL does.
  u16 n_vectors = 0;
  u8 msix_cap = 0;  // config-space offset of the MSI-X capability (0: none)
};

// Probes bdf; nullopt when no 1af4:1110 device answers there (discovery by BDF).
std::optional<IvshmemGuestDevice> ivshmem_probe(Guest& g, pci::Bdf bdf);
// Every 1af4:1110 function of `bus`, in BDF order, as a bus scan finds them.
std::vector<pci::Bdf> ivshmem_enumerate(Guest& g, u8 bus = 0);
// The index-th IVSHMEM device of the bus scan, probed (discovery by index,
// as Zephyr's instances are numbered); nullopt when there are fewer.
std::optional<IvshmemGuestDevice> ivshmem_find(Guest& g, unsigned index, u8 bus = 0);

// The MSI address of a fixed-delivery, physical-destination message to the
// CPU with this APIC ID (address bits 19:12), as x86's MSI format has it.
constexpr u64 msi_address(u32 apic_id) { return 0xFEE0'0000ULL | (u64{apic_id & 0xFF} << 12); }

// Points MSI-X table entry `vector` at (msi_addr, msi_data), unmasks it and
// enables MSI-X in the capability, as a driver's pci_enable_msix does. False
// when the device has no MSI-X capability (dm-land).
bool ivshmem_setup_msix(Guest& g, const IvshmemGuestDevice& dev, u16 vector, u64 msi_addr, u32 msi_data);

// ivshmem_get_mem: the shared memory's size; its address in *memmap.
u64 ivshmem_get_mem(Guest& g, const IvshmemGuestDevice& dev, Gpa* memmap);
// ivshmem_get_id: IVPosition, read from the register BAR (a trapped access).
u32 ivshmem_get_id(Guest& g, const IvshmemGuestDevice& dev);
// ivshmem_get_vectors: MSI-X vectors the driver allocated (0 without a doorbell).
u16 ivshmem_get_vectors(Guest& g, const IvshmemGuestDevice& dev);
// ivshmem_int_peer: rings `peer` on `vector`; -ENOSYS on a device without a
// doorbell (dm-land), -EINVAL for vector >= ivshmem_get_vectors, else 0
// after the Doorbell write ((peer << 16) | vector).
int ivshmem_int_peer(Guest& g, const IvshmemGuestDevice& dev, u32 peer, u16 vector);

// Zephyr's struct k_poll_signal: raised by the driver's ISR with the vector
// as its result; a thread waits on it (k_poll).
struct KPollSignal {
  bool signaled = false;
  int result = 0;
  u64 raised = 0;  // times raised, for a reader that counts notifications
  void reset() { signaled = false; }
};
// The IDT vector the driver gives MSI-X entry `vector` (its interrupt's
// "IRQ line", allocated from the first free device vector up).
constexpr u8 kIvshmemFirstIdtVector = 0x40;
// Config offset 0 of an IVSHMEM function: device << 16 | vendor (1af4:1110).
constexpr u32 kIvshmemIds = 0x1110'1AF4;
// Its shared memory's BAR.
constexpr unsigned kIvshmemShmBar = 2;
// ivshmem_register_handler: on `vector`'s interrupt the ISR raises `signal`
// with the vector as result (nullptr unregisters). -ENOSYS without a
// doorbell, -EINVAL for vector >= ivshmem_get_vectors. Points the MSI-X
// entry at this CPU. `isr_extra` runs inside the ISR after the raise (the
// guest OS personality's driver work, workloads/guest_os.h).
int ivshmem_register_handler(Guest& g, const IvshmemGuestDevice& dev, KPollSignal* signal, u16 vector,
                             std::function<void(Guest&)> isr_extra = {});

// The Doorbell register written directly, without the driver's checks: what
// a program with the BAR0 page mapped (UIO's resource0, an attacker) does.
void ivshmem_write_doorbell(Guest& g, const IvshmemGuestDevice& dev, u32 peer, u16 vector);

}  // namespace ivsim
