// A vCPU's virtual local APIC, the part interrupt delivery needs (ACRN's
// vlapic.c): the request (IRR) and in-service (ISR) registers, the task
// priority, and the rule that an interrupt is delivered only when its
// priority class is above the processor priority. Plain C++.
#pragma once

#include <bitset>

#include "models/core/types.h"

namespace ivsim {

class VLapic {
 public:
  // Vectors 0-15 are reserved for exceptions; a LAPIC refuses them.
  static constexpr unsigned kFirstVector = 16;

  // Returns false (and ignores it) for a reserved vector.
  bool accept(u8 vector) {
    if (vector < kFirstVector) return false;
    irr_.set(vector);
    return true;
  }
  bool requested() const { return irr_.any(); }
  // The highest requested vector whose class is above the processor
  // priority, or -1 (vlapic_find_deliverable_intr).
  int deliverable() const {
    const int v = highest(irr_);
    return v >= 0 && (v >> 4) > (ppr() >> 4) ? v : -1;
  }
  // Interrupt acknowledge: the vector moves from IRR to ISR.
  u8 acknowledge() {
    const int v = deliverable();
    irr_.reset(static_cast<std::size_t>(v));
    isr_.set(static_cast<std::size_t>(v));
    return static_cast<u8>(v);
  }
  // EOI: the highest in-service vector completes.
  void eoi() {
    const int v = highest(isr_);
    if (v >= 0) isr_.reset(static_cast<std::size_t>(v));
  }
  void set_tpr(u8 tpr) { tpr_ = tpr; }
  // Processor priority: the task priority or the in-service class, whichever is higher.
  u8 ppr() const {
    const int isr = highest(isr_);
    const u8 isr_class = isr >= 0 ? static_cast<u8>(isr & 0xF0) : 0;
    return (tpr_ & 0xF0) >= isr_class ? tpr_ : isr_class;
  }

 private:
  static int highest(const std::bitset<256>& b) {
    for (int v = 255; v >= 0; --v)
      if (b.test(static_cast<std::size_t>(v))) return v;
    return -1;
  }

  std::bitset<256> irr_;
  std::bitset<256> isr_;
  u8 tpr_ = 0;
};

}  // namespace ivsim
