// What ACRN's split-lock and UC-lock detection can do on a board's CPU
// (platforms/lock_detection.h): only where IA32_CORE_CAPABILITIES exists
// and, for a split lock, where the CPU model enumerates it.
#include <catch2/catch.hpp>

#include "platforms/lock_detection.h"

using namespace ivsim;

namespace {

Board board(unsigned model, std::optional<bool> msr) {
  Board b;
  b.family_id = 6;
  b.model_id = model;
  b.core_capabilities_msr = msr;
  return b;
}

Scenario both_on() {
  Scenario s;
  s.split_lock_detection = true;
  s.uc_lock_detection = true;
  return s;
}

}  // namespace

TEST_CASE("lock detection acts only where the CPU can have it") {
  // Off: nothing, whatever the CPU.
  const LockDetections off = lock_detections(Scenario{}, board(0x8C, true));
  CHECK(off.split == LockDetection::off);
  CHECK(off.uc == LockDetection::off);
  // Tiger Lake (0x8C) enumerates split-lock detection; UC-lock #GP's
  // enumeration has no source here.
  const LockDetections tgl = lock_detections(both_on(), board(0x8C, std::nullopt));
  CHECK(tgl.split == LockDetection::enumerated);
  CHECK(tgl.uc == LockDetection::unknown);
  // A board file that lists the CPU's capabilities without the MSR: neither.
  const LockDetections no_msr = lock_detections(both_on(), board(0x8C, false));
  CHECK(no_msr.split == LockDetection::unavailable);
  CHECK(no_msr.uc == LockDetection::unavailable);
  // Coffee Lake (0x9E) does not enumerate it; Ice Lake-SP (0x6A) has the
  // detection without the enumeration, which is all ACRN reads.
  CHECK(lock_detections(both_on(), board(0x9E, std::nullopt)).split == LockDetection::unavailable);
  CHECK(lock_detections(both_on(), board(0x6A, true)).split == LockDetection::unavailable);
  // Alder Lake, Tremont (Elkhart Lake) and Sapphire Rapids do.
  for (unsigned model : {0x97u, 0x9Au, 0x96u, 0x8Fu})
    CHECK(lock_detections(both_on(), board(model, std::nullopt)).split == LockDetection::enumerated);
  // A model the map does not know: unknown.
  CHECK(lock_detections(both_on(), board(0x01, true)).split == LockDetection::unknown);
}
