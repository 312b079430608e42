-- A cyclic real-time task on the TSC-deadline timer: role task arms
-- IA32_TSC_DEADLINE for the next period, halts until it fires, sends a
-- command through the region and waits for the response; role server
-- answers each command after params.work_cycles of work. The report's `arm`
-- is what each IA32_TSC_DEADLINE write costs the task, `response` the time
-- from the wake-up to the response. A params.tsc_adjust but 0 has the task
-- write IA32_TSC_ADJUST first, as a guest kernel that syncs its TSCs may.
local MSR_APIC_BASE, X2APIC_ENABLE = 0x1B, 0xC00
local MSR_TSC_ADJUST, MSR_TSC_DEADLINE = 0x3B, 0x6E0
local LVT_TIMER, TSC_DEADLINE_MODE = 0x832, 2 << 17
local TIMER_VECTOR = 0xEC
local dev = ivshmem_probe(region_bdf())
local shm = ivshmem_get_mem(dev)
local command, response, ready = shm, shm + 64, shm + 128   -- a cache line each

if role() == "task" then
  wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | X2APIC_ENABLE)
  on_interrupt(TIMER_VECTOR, function() end)
  -- ACRN's timing leaf gives the TSC's rate in kHz.
  local tsc_khz = cpuid(0x40000010)
  local period = math.floor(params.period_us * tsc_khz / 1000)
  if params.tsc_adjust ~= 0 then wrmsr(MSR_TSC_ADJUST, params.tsc_adjust) end
  wrmsr(LVT_TIMER, TSC_DEADLINE_MODE | TIMER_VECTOR)
  wait_until(ready, "eq", 1)         -- the server is up (the HMI VM launches later)
  local next, late, other_wakes = rdtsc() + period, 0, 0
  for i = 1, params.cycles do
    local armed = timestamp()
    wrmsr(MSR_TSC_DEADLINE, next)
    record("arm", armed)
    if halt() ~= TIMER_VECTOR then other_wakes = other_wakes + 1 end
    local woke, woke_ns = timestamp(), now_ns()
    store64(command, i)
    wait_until(response, "eq", i)
    record("response", woke)
    if now_ns() - woke_ns > params.deadline_us * 1000 then late = late + 1 end
    next = next + period
  end
  count("late", late)
  expect(other_wakes == 0, "the task wakes on its timer only")
else
  store64(ready, 1)
  for i = 1, params.cycles do
    wait_until(command, "eq", i)
    compute(params.work_cycles)
    store64(response, i)
  end
end
