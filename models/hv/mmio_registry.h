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
  // `gpa` is the access's address: each handler takes its offset from its
  // device's own state, as ACRN's do (io_req->reqs.mmio_request.address),
  // not from the node's base. `tag` is what was registered. A read's
  // `value` arrives as the vCPU's request value (Vm::io_req_value), which a
  // handler overwrites only where it serves the read, as ACRN's write
  // mmio->value.
  virtual void mmio_read(unsigned tag, Gpa gpa, unsigned size, u64& value) = 0;
  virtual void mmio_write(unsigned tag, Gpa gpa, unsigned size, u64 value) = 0;
};

// The VM's emul_mmio[CONFIG_MAX_EMULATED_MMIO_REGIONS] nodes: a registration
// takes the lowest free node (find_free_mmio_node: the first whose range is
// [0, 0)), and registers nothing when every node is in use; an
// unregistration frees the node whose range is exactly [start, end)
// (find_match_mmio_node), whoever registered it.
class MmioRegistry {
 public:
  // The scenario XML's hv/CAPACITIES/MAX_EMULATED_MMIO default (config.xsd).
  static constexpr unsigned kDefaultNodes = 16;

  struct Range {
    Gpa base;
    u64 size;  // 0: a free node
    // Null for a node whose device the twin does not emulate (the vIOAPIC):
    // it takes its node, and lookups pass over it.
    MmioHandler* handler;
    unsigned tag;
  };

  explicit MmioRegistry(unsigned nodes = kDefaultNodes) : nodes_(nodes, Range{0, 0, nullptr, 0}) {}

  // False when every node is in use: ACRN's registration then does nothing.
  // `size` is not 0 (register_mmio_emulation_handler requires end > start).
  bool add(Gpa base, u64 size, MmioHandler* handler, unsigned tag) {
    for (Range& r : nodes_)
      if (r.base == 0 && r.size == 0) {
        r = {base, size, handler, tag};
        return true;
      }
    return false;
  }
  // unregister_mmio_emulation_handler(vm, base, base + size): the first node
  // with exactly that range is freed; false when none has it.
  bool remove(Gpa base, u64 size) {
    for (Range& r : nodes_)
      if (r.size != 0 && r.base == base && r.size == size) {
        r = Range{0, 0, nullptr, 0};
        return true;
      }
    return false;
  }
  // hv_emulate_mmio: the first node, in node order, whose range overlaps
  // [gpa, gpa+size) decides. It handles the access if it contains it; an
  // access it only partly covers is an error (-EIO: the hypervisor injects
  // #GP), `straddles` set. Null and `straddles` clear when no node overlaps.
  const Range* find(Gpa gpa, unsigned size, bool& straddles) const {
    straddles = false;
    for (const Range& r : nodes_) {
      if (!r.handler || gpa + size <= r.base || gpa >= r.base + r.size) continue;
      if (gpa >= r.base && gpa + size <= r.base + r.size) return &r;
      straddles = true;
      return nullptr;
    }
    return nullptr;
  }
  unsigned capacity() const { return static_cast<unsigned>(nodes_.size()); }
  unsigned in_use() const {
    unsigned n = 0;
    for (const Range& r : nodes_) n += r.size != 0;
    return n;
  }

 private:
  std::vector<Range> nodes_;
};

}  // namespace ivsim
