#include "models/dm/shm_namespace.h"

namespace ivsim {

ShmObject* ShmNamespace::open(const std::string& name, u64 size, std::string& error) {
  auto it = objects_.find(name);
  if (it != objects_.end()) {
    if (it->second.size != size) {
      error = "shm object " + name + " exists with size " + std::to_string(it->second.size) + ", not " +
              std::to_string(size);
      return nullptr;
    }
    ++it->second.openers;
    return &it->second;
  }
  // Aligned to its size, which places it but does not make its EPT leaves
  // large: the HSM maps a shm object page by page (DeviceModel::set_memory_region).
  const Hpa base = round_up(next_, size);
  if (base + size > end_) {
    error = "the Service VM has no room for shm object " + name;
    return nullptr;
  }
  next_ = base + size;
  ShmObject& o = objects_[name];
  o.name = name;
  o.size = size;
  o.hpa = base;
  o.openers = 1;
  return &o;
}

const ShmObject* ShmNamespace::find(const std::string& name) const {
  auto it = objects_.find(name);
  return it == objects_.end() ? nullptr : &it->second;
}

}  // namespace ivsim
