// ACRN's hypercall ABI as far as the twin uses it (hypervisor/include/public/
// acrn_hv_defs.h, acrn_common.h): the IDs (R8), and the structures a caller
// places in its own memory and passes by guest-physical address (RDI, RSI).
// The layouts are the twin's: field order and widths follow ACRN's structs,
// padding and reserved fields are left out. Both sides (the Service VM's
// acrn-dm writing, the hypervisor reading with copy_from_gpa) use these.
#pragma once

#include <cstddef>
#include <cstring>
#include <string>

#include "models/core/types.h"

namespace ivsim::hc {

// BASE_HC_ID(HC_ID, base): HC_ID 0x80 in bits 31:24.
constexpr u64 hc_id(u64 base) { return (u64{0x80} << 24) | base; }
// dispatch_hypercall looks handlers up by the low byte only.
constexpr unsigned hc_idx(u64 id) { return static_cast<unsigned>(id & 0xFF); }

constexpr u64 kGetApiVersion = hc_id(0x00);
constexpr u64 kSetCallbackVector = hc_id(0x02);
constexpr u64 kCreateVm = hc_id(0x10);
constexpr u64 kDestroyVm = hc_id(0x11);
constexpr u64 kStartVm = hc_id(0x12);
constexpr u64 kPauseVm = hc_id(0x13);
constexpr u64 kResetVm = hc_id(0x15);
constexpr u64 kSetIoreqBuffer = hc_id(0x30);
constexpr u64 kNotifyRequestFinish = hc_id(0x31);
constexpr u64 kVmSetMemoryRegions = hc_id(0x42);
constexpr u64 kAddVdev = hc_id(0x59);
constexpr u64 kRemoveVdev = hc_id(0x5A);

// Linux errno values ACRN returns negated.
constexpr i64 kEnotty = 25, kEinval = 22, kEnodev = 19;

// HC_GET_API_VERSION: struct hc_api_version.
struct ApiVersion {
  u32 major = 1;  // HV_API_MAJOR_VERSION
  u32 minor = 0;  // HV_API_MINOR_VERSION
};

// HC_ADD_VDEV / HC_REMOVE_VDEV: struct acrn_vdev (an IVSHMEM device).
struct AcrnVdev {
  u32 id = 0;    // vendor | device << 16
  u32 slot = 0;  // the BDF
  u64 io_addr[6] = {0, 0, 0, 0, 0, 0};
  u64 io_size[6] = {0, 0, 0, 0, 0, 0};
  char args[32] = {};  // the region's name with its prefix ("hv:/shm_region_0")

  std::string name() const { return std::string(args, strnlen(args, sizeof args)); }
};

// HC_VM_SET_MEMORY_REGIONS: struct set_regions pointing at an array of
// struct vm_memory_region.
constexpr u32 kMrAdd = 0, kMrDel = 2;
constexpr u32 kMemAccessRead = 1u << 0, kMemAccessWrite = 1u << 1, kMemAccessExec = 1u << 2;
constexpr u32 kMemTypeWb = 0x40, kMemTypeWt = 0x80, kMemTypeUc = 0x100, kMemTypeWc = 0x200, kMemTypeWp = 0x400;
struct VmMemoryRegion {
  u32 type = kMrAdd;
  u32 prot = 0;
  u64 gpa = 0;             // in the target VM
  u64 service_vm_gpa = 0;  // the Service VM's memory that backs it
  u64 size = 0;
};
struct SetRegions {
  u16 vmid = 0;  // relative to the Service VM's id
  u16 reserved = 0;
  u32 mr_num = 0;
  u64 regions_gpa = 0;
};

// The I/O request page (struct acrn_io_request_buffer): one slot per vCPU.
constexpr unsigned kIoRequestSlots = 16;  // ACRN_IO_REQUEST_MAX
constexpr u32 kIoreqStateFree = 3, kIoreqStatePending = 0, kIoreqStateProcessing = 2, kIoreqStateComplete = 1;
constexpr u32 kIoreqTypeMmio = 1, kIoreqTypePio = 0, kIoreqTypePci = 3;
struct IoRequestSlot {
  u32 type = 0;
  u32 completion_polling = 0;
  u64 direction = 0;  // 0 read, 1 write
  u64 address = 0;    // GPA, port, or for PCI config: bus/dev/fn/reg
  u64 size = 0;
  u64 value = 0;
  u32 processed = kIoreqStateFree;  // the state, written last
  u32 reserved = 0;
};
static_assert(sizeof(IoRequestSlot) <= 64, "an I/O request slot fits one cache line");
constexpr u64 kIoRequestSlotBytes = 64;

}  // namespace ivsim::hc
