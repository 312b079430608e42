// BAR0 register files: hv-land IvshmemRegisters (ivshmem_mmio_handler,
// fact sheet §1.5) and dm-land DmIvshmemRegisters (pci_ivshmem_read/write,
// fact sheet §2.3).
#include <catch2/catch.hpp>

#include "models/dm/dm_ivshmem_regs.h"
#include "models/hv/ivshmem_regs.h"

using namespace ivsim;

namespace {

u32 read4(const IvshmemRegisters& regs, u32 offset) {
  bool acted = false;
  const u32 v = regs.read(offset, 4, acted);
  REQUIRE(acted);
  return v;
}

}  // namespace

TEST_CASE("IVPosition reads the VM id and ignores writes") {
  IvshmemRegisters regs(3);
  CHECK(read4(regs, IvshmemRegisters::kIVPosition) == 3);
  CHECK_FALSE(regs.write(IvshmemRegisters::kIVPosition, 4, 0x1234));
  CHECK(read4(regs, IvshmemRegisters::kIVPosition) == 3);
  CHECK(regs.ivposition() == 3);
  CHECK(read4(IvshmemRegisters(0), IvshmemRegisters::kIVPosition) == 0);
  CHECK(read4(IvshmemRegisters(15), IvshmemRegisters::kIVPosition) == 15);
}

TEST_CASE("IntrMask and IntrStatus are plain storage") {
  IvshmemRegisters regs(1);
  CHECK(read4(regs, IvshmemRegisters::kIntrMask) == 0);
  CHECK(read4(regs, IvshmemRegisters::kIntrStatus) == 0);
  CHECK_FALSE(regs.write(IvshmemRegisters::kIntrMask, 4, 0xFFFFFFFF));
  CHECK_FALSE(regs.write(IvshmemRegisters::kIntrStatus, 4, 0x5A5A0001));
  CHECK(read4(regs, IvshmemRegisters::kIntrMask) == 0xFFFFFFFF);
  CHECK(read4(regs, IvshmemRegisters::kIntrStatus) == 0x5A5A0001);
  // Storing them does not disturb IVPosition.
  CHECK(read4(regs, IvshmemRegisters::kIVPosition) == 1);
}

TEST_CASE("IntrStatus is not clear-on-read") {
  IvshmemRegisters regs(1);
  regs.write(IvshmemRegisters::kIntrStatus, 4, 0x1);
  CHECK(read4(regs, IvshmemRegisters::kIntrStatus) == 0x1);
  CHECK(read4(regs, IvshmemRegisters::kIntrStatus) == 0x1);
  CHECK(regs.intr_status() == 0x1);
}

TEST_CASE("Doorbell reads 0") {
  IvshmemRegisters regs(2);
  regs.write(IvshmemRegisters::kDoorbell, 4, 0x00010003);
  CHECK(read4(regs, IvshmemRegisters::kDoorbell) == 0);
}

TEST_CASE("only aligned 4-byte accesses below 16 act") {
  IvshmemRegisters regs(7);
  regs.write(IvshmemRegisters::kIntrMask, 4, 0x11223344);
  struct Access {
    u32 offset;
    unsigned size;
  };
  for (const Access a : {Access{0x00, 1}, Access{0x00, 2}, Access{0x00, 8}, Access{0x08, 2}, Access{0x0C, 1},
                         Access{0x02, 4}, Access{0x09, 4}, Access{0x10, 4}, Access{0x14, 4}, Access{0xFC, 4}}) {
    INFO("offset " << a.offset << " size " << a.size);
    CHECK_FALSE(IvshmemRegisters::acts(a.offset, a.size));
    bool acted = true;
    CHECK(regs.read(a.offset, a.size, acted) == 0);
    CHECK_FALSE(acted);
    CHECK_FALSE(regs.write(a.offset, a.size, 0x00010000));  // no doorbell, no store
  }
  // None of the ignored writes reached a register.
  CHECK(read4(regs, IvshmemRegisters::kIntrMask) == 0x11223344);
  CHECK(read4(regs, IvshmemRegisters::kIntrStatus) == 0);
  CHECK(read4(regs, IvshmemRegisters::kIVPosition) == 7);
  // A 1-byte write to the doorbell must not ring.
  CHECK_FALSE(regs.write(IvshmemRegisters::kDoorbell, 2, 0x0001));
  for (u32 off : {0x0u, 0x4u, 0x8u, 0xCu}) CHECK(IvshmemRegisters::acts(off, 4));
}

TEST_CASE("a doorbell write decodes peer and vector") {
  IvshmemRegisters regs(1);
  auto req = regs.write(IvshmemRegisters::kDoorbell, 4, (2u << 16) | 5u);
  REQUIRE(req);
  CHECK(req->peer == 2);
  CHECK(req->vector == 5);

  req = regs.write(IvshmemRegisters::kDoorbell, 4, 0xFFFF'0000);  // decoded as is; range checks are the server's
  REQUIRE(req);
  CHECK(req->peer == 0xFFFF);
  CHECK(req->vector == 0);

  req = regs.write(IvshmemRegisters::kDoorbell, 4, 0x0001'FFFF);
  REQUIRE(req);
  CHECK(req->peer == 1);
  CHECK(req->vector == 0xFFFF);
  // Ringing leaves the storage registers alone.
  CHECK(regs.intr_mask() == 0);
  CHECK(regs.intr_status() == 0);
}

TEST_CASE("reset zeroes IntrMask and IntrStatus and keeps IVPosition") {
  IvshmemRegisters regs(4);
  regs.write(IvshmemRegisters::kIntrMask, 4, 0xA);
  regs.write(IvshmemRegisters::kIntrStatus, 4, 0xB);
  regs.reset();
  CHECK(read4(regs, IvshmemRegisters::kIntrMask) == 0);
  CHECK(read4(regs, IvshmemRegisters::kIntrStatus) == 0);
  CHECK(read4(regs, IvshmemRegisters::kIVPosition) == 4);
}

// --- dm-land -------------------------------------------------------------------

TEST_CASE("dm-land IntrMask, IntrStatus and IVPosition read 0") {
  DmIvshmemRegisters regs;
  for (u32 off : {DmIvshmemRegisters::kIntrMask, DmIvshmemRegisters::kIntrStatus, DmIvshmemRegisters::kIVPosition}) {
    CHECK(regs.read(off, 4) == 0);
    CHECK(regs.read(off, 1) == 0);
    CHECK(regs.read(off, 8) == 0);
  }
}

TEST_CASE("dm-land doorbell reads all-ones") {
  DmIvshmemRegisters regs;
  CHECK(regs.read(DmIvshmemRegisters::kDoorbell, 4) == 0xFFFFFFFF);
  CHECK(regs.read(DmIvshmemRegisters::kDoorbell, 2) == 0xFFFF);
  CHECK(regs.read(DmIvshmemRegisters::kDoorbell, 1) == 0xFF);
  CHECK(regs.read(DmIvshmemRegisters::kDoorbell, 8) == ~u64{0});
}

TEST_CASE("dm-land reserved and unaligned BAR0 offsets read all-ones") {
  DmIvshmemRegisters regs;
  CHECK(regs.read(0x10, 4) == 0xFFFFFFFF);
  CHECK(regs.read(0xFC, 4) == 0xFFFFFFFF);
  CHECK(regs.read(0x01, 1) == 0xFF);  // inside IntrMask but not its offset
  CHECK(regs.read(0x0A, 2) == 0xFFFF);
  CHECK(DmIvshmemRegisters::trapped_bar_read(4) == 0xFFFFFFFF);
  CHECK(DmIvshmemRegisters::trapped_bar_read(8) == ~u64{0});
}

TEST_CASE("dm-land writes are ignored and counted, doorbell writes separately") {
  DmIvshmemRegisters regs;
  regs.write(DmIvshmemRegisters::kIntrMask, 4, 0xFFFFFFFF);
  regs.write(DmIvshmemRegisters::kIntrStatus, 4, 1);
  regs.write(DmIvshmemRegisters::kIVPosition, 4, 9);
  regs.write(0x40, 4, 1);
  CHECK(regs.writes_ignored() == 4);
  CHECK(regs.doorbell_writes() == 0);
  regs.write(DmIvshmemRegisters::kDoorbell, 4, (1u << 16) | 0);
  regs.write(DmIvshmemRegisters::kDoorbell, 2, 1);
  CHECK(regs.writes_ignored() == 6);
  CHECK(regs.doorbell_writes() == 2);
  // Nothing was stored.
  CHECK(regs.read(DmIvshmemRegisters::kIntrMask, 4) == 0);
  CHECK(regs.read(DmIvshmemRegisters::kIntrStatus, 4) == 0);
  CHECK(regs.read(DmIvshmemRegisters::kIVPosition, 4) == 0);
}
