// Where the IVSHMEM devices' BARs land: ACRN's configurator (gpa.py) for
// pre-launched and Service VMs, acrn-dm (pci_emul_alloc_bar) for
// post-launched VMs; and the board file's PCI tree they read.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "platforms/bar_allocator.h"
#include "platforms/board_xml.h"
#include "tests/support/fuzz_inputs.h"

using namespace ivsim;

namespace {

pci::Bdf bdf(const char* text) { return *pci::Bdf::parse(text); }

// One hv-land region of `mib` between `a` and `b`.
Scenario pair(VmConfig a, VmConfig b, u64 mib = 2) {
  Scenario s;
  s.vms = {std::move(a), std::move(b)};
  RegionConfig r;
  r.name = "shm";
  r.size_mib = mib;
  r.members = {{s.vms[0].name, bdf("00:08.0")}, {s.vms[1].name, bdf("00:08.0")}};
  s.regions = {r};
  return s;
}

PciBarResource bar(const char* id, u64 min, u64 len, unsigned width) {
  return PciBarResource{id, AddrWindow{min, min + len - 1}, len, width, true};
}

// A board with ACRN's cfl-k700-i7 sample's two devices of PRE_RT_VM0: an
// Ethernet controller (a 128 KiB 32-bit BAR) and an NVMe SSD (a 16 KiB 64-bit one).
Board board_with_devices() {
  Board b;
  b.pci.devices[bdf("00:1f.6").value()] = {bar("bar0", 0xdf200000, 0x20000, 32)};
  b.pci.devices[bdf("01:00.0").value()] = {bar("bar0", 0xdf100000, 0x4000, 64)};
  return b;
}

}  // namespace

TEST_CASE("a pre-launched VM's BAR2 goes in the low window first, after its 32-bit BARs (gpa.py)") {
  Scenario s = pair(make_vm(0, "PRE", LoadOrder::pre_launched, {0}, 512),
                    make_vm(1, "POST", LoadOrder::post_launched, {1}, 512));
  const IvshmemBarMap bars = allocate_ivshmem_bars(s, Board{});
  const IvshmemBarValues& pre = bars.at({0, 0});
  CHECK(pre.bar0 == 0x8000'0000u);
  CHECK(pre.bar1 == 0x8000'1000u);
  // 2 GiB is taken by BAR0: the next 2 MiB boundary; 64-bit and prefetchable (create_device_node).
  CHECK(pre.bar2 == (0x8020'0000ULL | 0xC));
}

TEST_CASE("a pre-launched VM's passed-through devices and PCI vUARTs take their room first, largest first") {
  Scenario s = pair(make_vm(0, "PRE_RT_VM0", LoadOrder::pre_launched, {0}, 512),
                    make_vm(1, "POST", LoadOrder::post_launched, {1}, 512));
  s.vms[0].pci_devs = {bdf("00:1f.6"), bdf("01:00.0")};
  const Board board = board_with_devices();
  IvshmemBarValues pre = allocate_ivshmem_bars(s, board).at({0, 0});
  // The 128 KiB BAR first at 2 GiB, then the 4 KiB ones in the order inserted.
  CHECK(pre.bar0 == 0x8002'0000u);
  CHECK(pre.bar1 == 0x8002'1000u);
  // BAR2 before the SSD's 16 KiB BAR: the first 2 MiB boundary clear of them all.
  CHECK(pre.bar2 == (0x8020'0000ULL | 0xC));

  s.vms[0].pci_vuarts = 1;  // two 4 KiB BARs, inserted before the IVSHMEM device's
  pre = allocate_ivshmem_bars(s, board).at({0, 0});
  CHECK(pre.bar0 == 0x8002'2000u);
  CHECK(pre.bar1 == 0x8002'3000u);

  // A device the board file does not list brings nothing (gpa.py skips it).
  s.vms[0].pci_vuarts = 0;
  s.vms[0].pci_devs = {bdf("00:14.0")};
  CHECK(allocate_ivshmem_bars(s, board).at({0, 0}).bar0 == 0x8000'0000u);
}

TEST_CASE("acrn-dm puts a post-launched VM's small BAR2 below 4 GiB, unless the VM boots OVMF") {
  Scenario s = pair(make_vm(0, "PRE", LoadOrder::pre_launched, {0}, 512),
                    make_vm(1, "POST", LoadOrder::post_launched, {1}, 512));
  IvshmemBarValues post = allocate_ivshmem_bars(s, Board{}).at({0, 1});
  CHECK(post.bar0 == 0x8000'0000u);
  CHECK(post.bar1 == 0x8000'1000u);
  // pci_emul_alloc_pbar: a 64-bit BAR below 4 GiB is not prefetchable (flags 0x4) ...
  CHECK(post.bar2 == (0x8020'0000ULL | 0x4));
  // ... and with --ovmf every 64-bit BAR is in the window above 256 GiB, prefetchable.
  s.vms[1].ovmf = true;
  post = allocate_ivshmem_bars(s, Board{}).at({0, 1});
  CHECK(post.bar0 == 0x8000'0000u);
  CHECK(post.bar2 == (0x40'0000'0000ULL | 0xC));
  // More than 32 MiB goes above 4 GiB either way.
  s = pair(make_vm(0, "PRE", LoadOrder::pre_launched, {0}, 512), make_vm(1, "POST", LoadOrder::post_launched, {1}, 512),
           64);
  CHECK(allocate_ivshmem_bars(s, Board{}).at({0, 1}).bar2 == (0x40'0000'0000ULL | 0xC));
}

TEST_CASE("acrn-dm places passed-through devices' BARs first, then the emulated devices in slot order") {
  Scenario s =
      pair(make_vm(0, "SOS", LoadOrder::service_vm, {0}, 1024), make_vm(1, "POST", LoadOrder::post_launched, {1}, 512));
  // A second region whose device sits in an earlier slot: acrn-dm allocates it first.
  RegionConfig second = s.regions[0];
  second.name = "second";
  second.members[1].vbdf = bdf("00:05.0");
  s.regions.push_back(second);
  Board board;
  // ACRN's cfl-k700-i7 sample's GPU: a 16 MiB BAR0 and a 256 MiB BAR2, both 64-bit (listed BAR2 first).
  board.pci.devices[bdf("00:02.0").value()] = {bar("bar2", 0x4000000000, 0x10000000, 64),
                                               bar("bar0", 0x4010000000, 0x1000000, 64)};
  s.vms[1].pci_devs = {bdf("00:02.0")};
  IvshmemBarMap bars = allocate_ivshmem_bars(s, board);
  // BAR0's 16 MiB below 4 GiB (at most 32 MiB), BAR2's 256 MiB above; then slot 5, then slot 8.
  CHECK(bars.at({1, 1}).bar0 == 0x8100'0000u);
  CHECK(bars.at({1, 1}).bar1 == 0x8100'1000u);
  CHECK(bars.at({1, 1}).bar2 == (0x8120'0000ULL | 0x4));
  CHECK(bars.at({0, 1}).bar0 == 0x8140'0000u);
  CHECK(bars.at({0, 1}).bar2 == (0x8160'0000ULL | 0x4));
  s.vms[1].ovmf = true;
  bars = allocate_ivshmem_bars(s, board);
  CHECK(bars.at({1, 1}).bar0 == 0x8000'0000u);
  // 16 MiB at 256 GiB, 256 MiB at 256 GiB + 256 MiB, then the IVSHMEM BAR2s.
  CHECK(bars.at({1, 1}).bar2 == (0x40'2000'0000ULL | 0xC));
  CHECK(bars.at({0, 1}).bar2 == (0x40'2020'0000ULL | 0xC));
}

TEST_CASE("the Service VM's BARs go in the host's PCI hole, clear of the native devices' BARs") {
  Scenario s =
      pair(make_vm(0, "SOS", LoadOrder::service_vm, {0}, 1024), make_vm(1, "PRE", LoadOrder::pre_launched, {1}, 512));
  Board board = board_with_devices();
  // cfl-k700-i7's windows below 1 MiB (ignored), below 4 GiB and a device's BAR in the first.
  board.pci.bus_windows = {{0xa0000, 0xbffff}, {0x8f800000, 0xdfffffff}, {0xfc800000, 0xfe7fffff}};
  board.pci.native_ranges = {{0x8f800000, 0x8f81ffff}, {0xdf100000, 0xdf103fff}};
  IvshmemBarValues sos = allocate_ivshmem_bars(s, board).at({0, 0});
  CHECK(sos.bar0 == 0x8f82'0000u);
  CHECK(sos.bar1 == 0x8f82'1000u);
  // No window above 4 GiB: BAR2 too is below it, at the first 2 MiB boundary clear of them.
  CHECK(sos.bar2 == (0x8fa0'0000ULL | 0xC));

  // A native BAR passed through to a pre-launched VM is the Service VM's to use again.
  board.pci.native_ranges = {{0x8f800000, 0x8f81ffff}};
  board.pci.devices[bdf("00:1f.6").value()] = {bar("bar0", 0x8f800000, 0x20000, 32)};
  s.vms[1].pci_devs = {bdf("00:1f.6")};
  sos = allocate_ivshmem_bars(s, board).at({0, 0});
  CHECK(sos.bar0 == 0x8f80'0000u);

  // A board without its PCI tree gives the Service VM the pre-launched VM's windows.
  CHECK(allocate_ivshmem_bars(s, Board{}).at({0, 0}).bar0 == 0x8000'0000u);
}

TEST_CASE("a BAR that fits in no window names its VM and device") {
  Scenario s = pair(make_vm(0, "PRE", LoadOrder::pre_launched, {0}, 512),
                    make_vm(1, "POST", LoadOrder::post_launched, {1}, 512));
  Board board;
  // 4 GiB: aligned to its size, it starts past the 2-3.5 GiB window.
  board.pci.devices[bdf("00:1f.6").value()] = {bar("bar0", 0x1'0000'0000, 0x1'0000'0000, 32)};
  s.vms[0].pci_devs = {bdf("00:1f.6")};
  try {
    (void)allocate_ivshmem_bars(s, board);
    FAIL("no error");
  } catch (const BarAllocationError& e) {
    CHECK(e.vm == "PRE");
    CHECK(e.device == "pci_devs[0]");
    CHECK(std::string(e.what()).find("no room for a BAR of 0x100000000 bytes") != std::string::npos);
  }
}

TEST_CASE("a board file's absurdly long BAR fits nowhere, for acrn-dm and the configurator alike") {
  Scenario s = pair(make_vm(0, "PRE", LoadOrder::pre_launched, {0}, 512),
                    make_vm(1, "POST", LoadOrder::post_launched, {1}, 512));
  Board board;
  board.pci.devices[bdf("00:02.0").value()] = {bar("bar0", 0x1000'0000, u64{1} << 63, 64)};
  for (std::size_t vm : {0, 1}) {
    s.vms[vm].pci_devs = {bdf("00:02.0")};
    try {
      (void)allocate_ivshmem_bars(s, board);
      FAIL("no error");
    } catch (const BarAllocationError& e) {
      CHECK(e.vm == s.vms[vm].name);
      CHECK(e.device == "pci_devs[0]");
    }
    s.vms[vm].pci_devs.clear();
  }
}

TEST_CASE("the configurator's window search takes a range that starts in a window, as gpa.py does") {
  // get_free_addr returns a window that overlaps the window searched, even past its end.
  GpaWindowAllocator a({{0x1000, 0x2fff}}, {{0x1000, 0x1fff}});
  CHECK(a.allocate({0x2000}) == std::vector<u64>{0x2000});
  GpaWindowAllocator full({{0x1000, 0x1fff}}, {{0x1000, 0x1fff}});
  CHECK_THROWS_AS(full.allocate({0x1000}), GpaWindowAllocator::NoRoom);
}

TEST_CASE("a board file's PCI tree gives the host windows, the native ranges and each device's BARs", "[acrn_xml]") {
  const std::string devices = R"(
  <devices>
    <bus type="system">
      <bus id="PNP0A08" type="pci" address="0x0">
        <resource id="res4" type="memory" min="0xa0000" max="0xbffff" len="0x20000"/>
        <resource id="res5" type="memory" min="0xc0000" max="0xbffff" len="0x0"/>
        <resource id="res18" type="memory" min="0x8f800000" max="0xdfffffff" len="0x50800000"/>
        <device address="0x1f0006">
          <resource type="memory" min="0xdf200000" max="0xdf21ffff" len="0x20000" id="bar0" width="32"/>
        </device>
        <device address="0x10000">
          <resource type="memory" min="0xdf000000" max="0xdf0fffff" len="0x100000"/>
          <bus type="pci" address="0x1">
            <device address="0x0">
              <resource type="memory" min="0xdf000000" max="0xdf003fff" len="0x4000" id="bar0" width="64"/>
            </device>
          </bus>
        </device>
      </bus>
    </bus>
  </devices>
</acrn-config>)";
  std::ifstream f(std::string(IVSIM_TESTS_DIR) + "/data/acrn/board-8cpu.xml");
  std::stringstream ss;
  ss << f.rdbuf();
  std::string xml = ss.str();
  REQUIRE(xml.rfind("</acrn-config>") != std::string::npos);
  xml.replace(xml.rfind("</acrn-config>"), 14, devices);
  test::dump_fuzz_seed("board_xml", xml);  // a board file with its PCI tree, for the fuzzer's corpus
  const Board b = parse_board_xml(xml, "board.xml");
  CHECK(b.pci.bus_windows == std::vector<AddrWindow>{{0xa0000, 0xbffff}, {0x8f800000, 0xdfffffff}});
  // The Ethernet BAR, and the bridge's window in place of the SSD's BAR behind it.
  CHECK(b.pci.native_ranges == std::vector<AddrWindow>{{0xdf200000, 0xdf21ffff}, {0xdf000000, 0xdf0fffff}});
  REQUIRE(b.pci.devices.count(bdf("01:00.0").value()));
  const PciBarResource& ssd = b.pci.devices.at(bdf("01:00.0").value()).at(0);
  CHECK(ssd.id == "bar0");
  CHECK(ssd.width == 64);
  CHECK(ssd.direct);
  // The bridge sees the SSD's BAR below it, not as its own.
  REQUIRE(b.pci.devices.count(bdf("00:01.0").value()));
  CHECK_FALSE(b.pci.devices.at(bdf("00:01.0").value()).at(0).direct);

  CHECK_THROWS_WITH(parse_board_xml(std::string(xml).replace(xml.find("0xdf21ffff"), 10, "0xdf21fffz"), "board.xml"),
                    Catch::Contains("bus[@address=0x0]/device[@address=0x1f0006]/resource[@id=bar0]/@max: expected a "
                                    "hex number, got \"0xdf21fffz\""));
}

TEST_CASE("acrn-dm's virtio devices take their BARs in the slots the launch script gives them") {
  Scenario s = pair(make_vm(0, "PRE", LoadOrder::pre_launched, {0}, 512),
                    make_vm(1, "POST", LoadOrder::post_launched, {1}, 512));
  // Slots 3, 4 and 5 (launch_cfg_gen.py's free slots), all before the IVSHMEM device's 8.
  s.vms[1].dm_devices = {{"virtio-blk", {}}, {"virtio-net", {}}, {"virtio-gpu", {}}};
  IvshmemBarValues post = allocate_ivshmem_bars(s, Board{}).at({0, 1});
  // Two MSI-X BARs of 4 KiB + 8 bytes, rounded to 8 KiB, at 2 GiB; the GPU's
  // 16 MiB framebuffer at 2 GiB + 16 MiB, its 16 KiB modern BAR and MSI-X
  // BAR after it; then the IVSHMEM device.
  CHECK(post.bar0 == 0x8200'6000u);
  CHECK(post.bar1 == 0x8200'7000u);
  CHECK(post.bar2 == (0x8220'0000ULL | 0x4));
  // With --ovmf the GPU's 64-bit modern BAR goes above 256 GiB, so the
  // MSI-X BAR follows the framebuffer directly.
  s.vms[1].ovmf = true;
  post = allocate_ivshmem_bars(s, Board{}).at({0, 1});
  CHECK(post.bar0 == 0x8200'2000u);
  CHECK(post.bar2 == (0x40'0020'0000ULL | 0xC));

  // An IVSHMEM device in slot 3 keeps it; the block device takes slot 4.
  s.vms[1].ovmf = false;
  s.regions[0].members[1].vbdf = bdf("00:03.0");
  s.vms[1].dm_devices = {{"virtio-blk", {}}};
  CHECK(allocate_ivshmem_bars(s, Board{}).at({0, 1}).bar0 == 0x8000'0000u);
  // A PCI vUART given slot 5 comes before the IVSHMEM device in slot 8:
  // BAR0 of 256 bytes and BAR1 of 4 KiB, each in a page of its own.
  s.regions[0].members[1].vbdf = bdf("00:08.0");
  s.vms[1].dm_devices = {{"uart", bdf("00:05.0")}};
  CHECK(allocate_ivshmem_bars(s, Board{}).at({0, 1}).bar0 == 0x8000'2000u);
  // The xHCI controller's registers end at 0xDF8: a 4 KiB BAR0.
  s.vms[1].dm_devices = {{"xhci", {}}};
  CHECK(allocate_ivshmem_bars(s, Board{}).at({0, 1}).bar0 == 0x8000'1000u);
}

TEST_CASE("each acrn-dm device kind's memory BARs as its init asks for them") {
  for (const std::string& kind : dm_device_kinds()) {
    INFO(kind);
    CHECK_FALSE(dm_device_bars(kind).empty());
  }
  // vhost_vsock_init asks for its modern BAR before its MSI-X BAR.
  const auto vsock = dm_device_bars("vhost-vsock");
  REQUIRE(vsock.size() == 2);
  CHECK(vsock[0].mem64);
  CHECK(vsock[0].bytes == 0x4000);
  CHECK(vsock[1].bytes == 0x1008);
  CHECK_FALSE(is_dm_device_kind("virtio-rnd"));
}
