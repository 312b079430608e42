// The Service VM's POSIX shared-memory name space (/dev/shm on tmpfs), as
// acrn-dm's dm-land IVSHMEM uses it (devicemodel/hw/pci/ivshmem.c,
// create_ivshmem_from_dm): the first opener creates and sizes an object,
// later openers must find exactly that size; objects are never unlinked, so
// their contents outlive the VMs that map them.
#pragma once

#include <map>
#include <string>

#include "models/core/types.h"

namespace ivsim {

struct ShmObject {
  std::string name;  // without the dm:/ prefix
  u64 size = 0;
  Hpa hpa = 0;  // Service VM pages backing it (contiguous here)
  unsigned openers = 0;
};

class ShmNamespace {
 public:
  // Pages come from [pool_hpa, pool_hpa + pool_bytes) of Service VM memory.
  ShmNamespace(Hpa pool_hpa, u64 pool_bytes) : next_(pool_hpa), end_(pool_hpa + pool_bytes) {}

  // shm_open(O_CREAT|O_EXCL) then, on EEXIST, open and fstat. Returns
  // nullptr with `error` set when the sizes differ or memory runs out.
  ShmObject* open(const std::string& name, u64 size, std::string& error);
  const ShmObject* find(const std::string& name) const;
  const std::map<std::string, ShmObject>& objects() const { return objects_; }

 private:
  Hpa next_;
  Hpa end_;
  std::map<std::string, ShmObject> objects_;
};

}  // namespace ivsim
