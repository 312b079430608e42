// The hv-land shared memory (hypervisor/dm/vpci/ivshmem.c,
// init_ivshmem_shared_memory): one host reservation holding every
// hypervisor-provided region back to back in configuration order, and per
// region the table of doorbell peers indexed by VM id.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "models/core/types.h"

namespace ivsim {

class IvshmemDevice;

struct DoorbellStats {
  u64 sent = 0;
  u64 delivered = 0;
  std::map<std::string, u64> dropped;  // reason -> count
};

struct IvshmemRegion {
  std::string name;  // with its "hv:/" prefix, as the hypervisor stores it
  u16 region_id = 0;
  Hpa hpa = 0;
  u64 size = 0;
  std::vector<IvshmemDevice*> doorbell_peers;  // indexed by VM id (MAX_IVSHMEM_PEER_NUM = MAX_VM_NUM)
  DoorbellStats doorbells;
};

class IvshmemRegionPool {
 public:
  static constexpr unsigned kMaxRegions = 8;  // mem_regions[8]

  struct RegionSpec {
    std::string name;  // without prefix
    u16 region_id;
    u64 size;
  };

  // The size e820_alloc_memory is asked for: the sum rounded up to 2 MiB (PDE_SIZE).
  static u64 reservation_size(const std::vector<RegionSpec>& specs);

  // Lays the regions out from `base` (the reservation) in order.
  IvshmemRegionPool(Hpa base, const std::vector<RegionSpec>& specs, unsigned max_vm_num);

  Hpa base() const { return base_; }
  u64 reserved_bytes() const { return reserved_; }
  // find_shm_region: exact match on the prefixed name.
  IvshmemRegion* find(const std::string& prefixed_name);
  std::vector<IvshmemRegion>& regions() { return regions_; }
  const std::vector<IvshmemRegion>& regions() const { return regions_; }

 private:
  Hpa base_;
  u64 reserved_;
  std::vector<IvshmemRegion> regions_;
};

}  // namespace ivsim
