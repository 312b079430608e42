-- Calls every function of the Lua guest API (workloads/lua_guest.cpp's
-- table), with their error paths; each outcome is an expect() the test
-- reads from the report. Role a runs in HMI_VM (hv:/data at 00:08.0, a
-- dm-land device at 00:09.0), role b in RT_VM (hv:/data at 00:08.0).

local function fails(pattern, f, ...)
  local ok, err = pcall(f, ...)
  return not ok and tostring(err):find(pattern, 1, true) ~= nil
end

-- The workload and its parameters.
expect(param("rounds") == 3 and params.rounds == 3, "param: an integer")
expect(param("label") == "api-test", "param: a string")
expect(param("ratio") == 0.5, "param: a number")
expect(param("check") == true, "param: a boolean")
expect(fails("no parameter", param, "nope"), "param: an unknown name is an error")
expect(region_bdf() == "00:08.0", "region_bdf: the region's device")
expect(ram_base() >= 0, "ram_base")
expect(fails("no role", peer_id, "nobody"), "peer_id: an unknown role is an error")
print("role", role())

-- Discovery and the driver.
local dev = ivshmem_probe(region_bdf())
expect(dev ~= nil, "ivshmem_probe: the region's device")
expect(ivshmem_probe("00:1f.7") == nil, "ivshmem_probe: nothing there")
expect(fails("bad BDF", ivshmem_probe, "zz"), "ivshmem_probe: a malformed BDF is an error")
expect(ivshmem_find(0) ~= nil, "ivshmem_find: index 0")
expect(ivshmem_find(7) == nil, "ivshmem_find: past the last device")
expect(fails("must not be negative", ivshmem_find, -1), "ivshmem_find: a negative index is an error")
local shm, size = ivshmem_get_mem(dev)
expect(size == 2 * 1024 * 1024 and shm > 0, "ivshmem_get_mem: 2 MiB")
expect(fails("not an IVSHMEM device handle", ivshmem_get_mem, 99), "ivshmem_get_mem: a bad handle is an error")
expect(ivshmem_get_vectors(dev) == 8, "ivshmem_get_vectors: 8 on hv-land")
expect(ivshmem_int_peer(dev, peer_id("b"), 8) == -22, "ivshmem_int_peer: -EINVAL past the vectors")
local sig = k_poll_signal()
expect(ivshmem_register_handler(dev, sig, 8) == -22, "ivshmem_register_handler: -EINVAL past the vectors")
expect(fails("not a k_poll_signal handle", k_poll, 42), "k_poll: a bad signal is an error")

-- Memory, atomics and block copies in the region; each role its own line.
local mine = shm + (role() == "a" and 0x1000 or 0x2000)
store8(mine, 0xAB); expect(load8(mine) == 0xAB, "store8/load8")
store16(mine, 0xABCD); expect(load16(mine) == 0xABCD, "store16/load16")
store32(mine, 0x12345678); expect(load32(mine) == 0x12345678, "store32/load32")
store64(mine, 0x1122334455667788); expect(load64(mine) == 0x1122334455667788, "store64/load64")
write(mine + 64, "hello, peer"); expect(read(mine + 64, 11) == "hello, peer", "write/read")
expect(fails("read length", read, mine, -1), "read: a negative length is an error")
expect(cmpxchg(mine, 0x1122334455667788, 7) == 0x1122334455667788 and load64(mine) == 7, "cmpxchg: swaps")
expect(cmpxchg(mine, 1, 9, 4) == 7 and load64(mine) == 7, "cmpxchg: 4 bytes, no swap")
expect(fails("size must be 4 or 8", cmpxchg, mine, 0, 0, 2), "cmpxchg: a bad size is an error")
expect(fails("bad comparison", wait_until, mine, "gt", 0), "wait_until: a bad comparison is an error")
expect(fails("non-negative", compute, -5), "compute: negative cycles are an error")
local t0 = now_ns(); compute(1800); expect(now_ns() - t0 >= 999, "compute: 1800 cycles at 1.8 GHz take 1 us")
local c0 = rdtsc(); compute(100); expect(rdtsc() > c0, "rdtsc: moves")

-- Config space and port I/O.
expect(pci_read32(region_bdf(), 0) == 0x11101AF4, "pci_read32: 1af4:1110")
expect(pci_read16(region_bdf(), 2) == 0x1110, "pci_read16: the device ID")
local cmd = pci_read16(region_bdf(), 4)
pci_write16(region_bdf(), 4, cmd); expect(pci_read16(region_bdf(), 4) == cmd, "pci_write16: Command kept")
local bar0 = pci_read32(region_bdf(), 0x10)
pci_write32(region_bdf(), 0x10, bar0); expect(pci_read32(region_bdf(), 0x10) == bar0, "pci_write32: BAR0 kept")
outl(0xCF8, 0x80004000); expect(inl(0xCFC) == 0x11101AF4, "outl/inl: mechanism #1 by hand")
outb(0x80, 1); expect(inb(0x64) >= 0, "outb/inb")

-- CPU.
expect(apic_id() >= 0, "apic_id")
local eax = cpuid(0)
expect(eax >= 1, "cpuid: leaf 0")
local hv_top, hv_signature = cpuid(0x40000000)
expect(hv_top == 0x40000010 and hv_signature == 0x4E524341, "cpuid: the hypervisor's leaves, ACRN's signature")
expect(rdmsr(0x1B) ~= 0, "rdmsr: IA32_APIC_BASE")
wrmsr(0x6E0, 0)  -- TSC deadline disarmed
local has_test_ctl, err = pcall(rdmsr, 0x33)
expect(not has_test_ctl and err:find("#GP") ~= nil, "rdmsr: MSR_TEST_CTL faults on a CPU without split-lock detection")
local before_wbinvd = now_ns()
wbinvd()  -- this VM's memory flushed through its EPT (there is an RT VM)
expect(now_ns() > before_wbinvd, "wbinvd: takes time")
local before_invd = now_ns()
invd()  -- ignored: an exit's round trip, nothing invalidated
expect(now_ns() > before_invd, "invd: exits")
local rc, vector = hypercall(0x80000000)
expect(rc == nil and vector == 6, "hypercall: #UD for a User VM without hypercall rights")

-- Interrupts: b takes a's doorbell through a k_poll_signal and a Lua ISR,
-- a takes b's through on_interrupt and halt.
local isr_runs = 0
if role() == "b" then
  expect(ivshmem_register_handler(dev, sig, 3, function(v) isr_runs = isr_runs + 1 end) == 0,
         "ivshmem_register_handler: vector 3")
  store64(shm + 0x100, 1)  -- ready
  expect(k_poll(sig) == 3, "k_poll: the vector raised")
  expect(isr_runs == 1, "ivshmem_register_handler: the Lua ISR ran")
  expect(ivshmem_register_handler(dev, nil, 3) == 0, "ivshmem_register_handler: nil unregisters")
  wait_until(shm + 0x108, "eq", 1)  -- a is ready for its doorbell
  expect(ivshmem_int_peer(dev, peer_id("a"), 2) == 0, "ivshmem_int_peer: rings a")
else
  local taken = 0
  on_interrupt(0x40 + 2, function(v) taken = v end)
  expect(fails("vector must be", on_interrupt, 3, function() end), "on_interrupt: a bad vector is an error")
  -- MSI-X entry 2 to this CPU, as a driver would: the table and the capability.
  expect(ivshmem_register_handler(dev, k_poll_signal(), 2) == 0, "MSI-X entry 2 set up")
  on_interrupt(0x40 + 2, function(v) taken = v end)
  wait_until(shm + 0x100, "eq", 1)
  local t = timestamp()
  expect(ivshmem_int_peer(dev, peer_id("b"), 3) == 0, "ivshmem_int_peer: rings b")
  store64(shm + 0x108, 1)
  expect(halt() == 0x42 and taken == 0x42, "halt/on_interrupt: b's doorbell taken")
  record("doorbell_round_trip", t)
  expect(fails("unknown or already recorded", record, "x", t), "record: a stamp records once")
  -- The dm-land device has no doorbell.
  local dm = ivshmem_probe("00:09.0")
  expect(dm ~= nil and ivshmem_get_vectors(dm) == 0, "ivshmem_get_vectors: 0 on dm-land")
  expect(ivshmem_int_peer(dm, peer_id("b"), 0) == -38, "ivshmem_int_peer: -ENOSYS on dm-land")
  expect(ivshmem_register_handler(dm, sig, 0) == -38, "ivshmem_register_handler: -ENOSYS on dm-land")
  expect(ivshmem_get_id(dev) == peer_id("a"), "ivshmem_get_id: IVPosition is the VM ID")
end

-- Metrics.
count("calls"); count("calls", 2)
expect(fails("non-negative", count, "calls", -1), "count: a negative count is an error")
value("answer", 42, "units")
