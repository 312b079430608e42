-- A guest kernel onlining a CPU of its own VM: role "ping" (vCPU 0) sends
-- role "pong" (vCPU 1 of the same VM) INIT, INIT de-assert, SIPI, SIPI
-- through its x2APIC ICR, as Linux's wakeup_secondary_cpu_via_init does.
-- ACRN's vlapic_process_init_sipi pauses pong and resets it (INIT_RESET),
-- and the first SIPI starts it again from its program's start; the
-- de-assert and the second SIPI do nothing (docs/devices.md, "INIT and
-- SIPI"). Memory survives the INIT: pong counts its boots in the region.
local ICR, LDR = 0x830, 0x80D
local shm = ivshmem_get_mem(ivshmem_probe(region_bdf()))
local MAILBOX, BOOTS = shm, shm + 8

if role() == "pong" then
  local boots = load64(BOOTS) + 1
  store64(BOOTS, boots)
  count("boots")
  if boots == 1 then
    store64(MAILBOX, 0x100 | apic_id())  -- ping may start now
    compute(10000000)                    -- busy when the INIT comes
    expect(false, "the INIT stops pong's first run before this")
  else
    -- vlapic_reset(INIT_RESET): still in x2APIC mode. But the SIPI's
    -- init_vmcs intercepts every x2APIC MSR again, and vlapic_x2apic_read
    -- serves an APICv vCPU only the timer's current count: reading the LDR
    -- (which the INIT cleared) faults with #GP.
    expect(rdmsr(0x1B) & (1 << 10) ~= 0, "pong is still in x2APIC mode after the INIT")
    expect(not pcall(rdmsr, LDR), "reading pong's LDR after the INIT faults")
  end
  return
end

local dest = (wait_until(MAILBOX, "ne", 0) & 0xff) << 32
local t0 = now_ns()
wrmsr(ICR, dest | 0x4500)         -- INIT, level assert: pong stops
compute(20000)                    -- a pause after the INIT, as Linux makes
wrmsr(ICR, dest | 0x8500)         -- INIT, level de-assert: nothing
wrmsr(ICR, dest | 0x0600 | 0x10)  -- SIPI (entry 0x10000): pong starts again
wrmsr(ICR, dest | 0x0600 | 0x10)  -- the second SIPI finds it running
wait_until(BOOTS, "eq", 2)
value("online_us", (now_ns() - t0) / 1000, "us")
