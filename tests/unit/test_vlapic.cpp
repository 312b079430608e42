#include <catch2/catch.hpp>

#include "models/cpu/vlapic.h"

using namespace ivsim;

TEST_CASE("the virtual LAPIC delivers the highest requested vector above the processor priority") {
  VLapic l;
  CHECK(l.deliverable() == -1);
  CHECK(l.accept(0x41));
  CHECK(l.accept(0x62));
  CHECK(l.deliverable() == 0x62);
  CHECK(l.acknowledge() == 0x62);
  // In service: its class blocks the same class, not a higher one.
  CHECK(l.ppr() == 0x60);
  CHECK(l.deliverable() == -1);  // 0x41 is below
  l.accept(0x65);
  CHECK(l.deliverable() == -1);  // same class as in service
  l.accept(0x71);
  CHECK(l.deliverable() == 0x71);
  l.eoi();  // 0x62 completes
  CHECK(l.deliverable() == 0x71);
}

TEST_CASE("the task priority holds back interrupts of its class and below, and reserved vectors are refused") {
  VLapic l;
  l.set_tpr(0x50);
  l.accept(0x52);
  CHECK(l.requested());
  CHECK(l.deliverable() == -1);
  l.set_tpr(0x40);
  CHECK(l.deliverable() == 0x52);
  CHECK_FALSE(l.accept(0x0E));  // exception vectors
}
