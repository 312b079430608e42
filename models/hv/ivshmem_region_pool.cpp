#include "models/hv/ivshmem_region_pool.h"

#include <stdexcept>

namespace ivsim {

u64 IvshmemRegionPool::reservation_size(const std::vector<RegionSpec>& specs) {
  u64 sum = 0;
  for (const auto& s : specs) sum += s.size;
  return round_up(sum, kPageSize2M);
}

IvshmemRegionPool::IvshmemRegionPool(Hpa base, const std::vector<RegionSpec>& specs, unsigned max_vm_num)
    : base_(base), reserved_(reservation_size(specs)) {
  if (specs.size() > kMaxRegions) throw std::invalid_argument("more than 8 hv-land IVSHMEM regions");
  Hpa next = base;
  for (const auto& s : specs) {
    IvshmemRegion r;
    r.name = "hv:/" + s.name;
    r.region_id = s.region_id;
    r.hpa = next;
    r.size = s.size;
    r.doorbell_peers.assign(max_vm_num, nullptr);
    next += s.size;
    regions_.push_back(std::move(r));
  }
}

IvshmemRegion* IvshmemRegionPool::find(const std::string& prefixed_name) {
  for (auto& r : regions_)
    if (r.name == prefixed_name) return &r;
  return nullptr;
}

}  // namespace ivsim
