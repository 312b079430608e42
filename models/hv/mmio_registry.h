// A VM's emulated MMIO ranges and their handlers, as ACRN keeps them per VM
// (register_mmio_emulation_handler / unregister_mmio_emulation_handler in
// hypervisor/dm/io_req.c). An EPT violation is looked up here.
#pragma once

#include <vector>

#include "models/core/types.h"

namespace ivsim {

class MmioHandler {
 public:
  virtual ~MmioHandler() = default;
  // `offset` is relative to the registered base; `tag` is what was registered.
  virtual u64 mmio_read(unsigned tag, u64 offset, unsigned size) = 0;
  virtual void mmio_write(unsigned tag, u64 offset, unsigned size, u64 value) = 0;
};

class MmioRegistry {
 public:
  struct Range {
    Gpa base;
    u64 size;
    MmioHandler* handler;
    unsigned tag;
  };

  void add(Gpa base, u64 size, MmioHandler* handler, unsigned tag) { ranges_.push_back({base, size, handler, tag}); }
  // Removes the range registered by `handler` at `base` (no-op when absent).
  void remove(Gpa base, MmioHandler* handler) {
    for (std::size_t i = 0; i < ranges_.size(); ++i) {
      if (ranges_[i].base == base && ranges_[i].handler == handler) {
        ranges_.erase(ranges_.begin() + static_cast<std::ptrdiff_t>(i));
        return;
      }
    }
  }
  // First registered range containing [gpa, gpa+size), as ACRN's linear search.
  const Range* find(Gpa gpa, unsigned size) const {
    for (const Range& r : ranges_)
      if (gpa >= r.base && gpa + size <= r.base + r.size) return &r;
    return nullptr;
  }
  const std::vector<Range>& ranges() const { return ranges_; }

 private:
  std::vector<Range> ranges_;
};

}  // namespace ivsim
