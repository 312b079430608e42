// A vCPU's virtual local APIC, the part interrupt delivery needs (ACRN's
// vlapic.c): the request (IRR) and in-service (ISR) registers, the task
// priority, and the rule that an interrupt is delivered only when its
// priority class is above the processor priority. Plain C++.
#pragma once

#include <array>

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
    const int v = irr_.highest();
    return v >= 0 && (v >> 4) > (ppr() >> 4) ? v : -1;
  }
  // Interrupt acknowledge: the vector moves from IRR to ISR.
  u8 acknowledge() {
    const int v = deliverable();
    irr_.reset(static_cast<u8>(v));
    isr_.set(static_cast<u8>(v));
    return static_cast<u8>(v);
  }
  // EOI: the highest in-service vector completes.
  void eoi() {
    const int v = isr_.highest();
    if (v >= 0) isr_.reset(static_cast<u8>(v));
  }
  void set_tpr(u8 tpr) { tpr_ = tpr; }
  // Processor priority: the task priority or the in-service class, whichever is higher.
  u8 ppr() const {
    const int isr = isr_.highest();
    const u8 isr_class = isr >= 0 ? static_cast<u8>(isr & 0xF0) : 0;
    return (tpr_ & 0xF0) >= isr_class ? tpr_ : isr_class;
  }

 private:
  // A 256-bit LAPIC register (IRR, ISR) as eight 32-bit words, as the APIC
  // page lays it out; the highest set bit is found word by word with a
  // bit-scan (ACRN's vlapic_find_deliverable_intr scans the words the same way).
  class Reg256 {
   public:
    void set(u8 v) { w_[v >> 5] |= 1u << (v & 31); }
    void reset(u8 v) { w_[v >> 5] &= ~(1u << (v & 31)); }
    bool any() const {
      for (u32 x : w_)
        if (x) return true;
      return false;
    }
    int highest() const {
      for (int i = 7; i >= 0; --i)
        if (w_[i]) return i * 32 + 31 - __builtin_clz(w_[i]);
      return -1;
    }

   private:
    std::array<u32, 8> w_{};
  };

  Reg256 irr_;
  Reg256 isr_;
  u8 tpr_ = 0;
};

}  // namespace ivsim
