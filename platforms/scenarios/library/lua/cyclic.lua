-- A cyclic real-time task on the LAPIC timer: role task wakes at every tick,
-- sends a command through the region and waits for the response; role
-- server answers each command after params.work_cycles of work. The timer
-- runs in periodic mode, or with params.timer "deadline" in TSC-deadline
-- mode, re-armed every cycle. The report's `response` is the time from the
-- task's wake-up to the response; `late` counts the cycles whose response
-- came more than params.deadline_us after the wake-up; `arm` (TSC-deadline
-- mode) is what each IA32_TSC_DEADLINE write costs the task. A
-- params.tsc_adjust but 0 has a TSC-deadline task write IA32_TSC_ADJUST
-- first, as a guest kernel that syncs its TSCs may.
local MSR_APIC_BASE, X2APIC_ENABLE = 0x1B, 0xC00
local MSR_TSC_ADJUST, MSR_TSC_DEADLINE = 0x3B, 0x6E0
local LVT_TIMER, TIMER_INITIAL_COUNT, TIMER_CURRENT_COUNT, TIMER_DIVIDE = 0x832, 0x838, 0x839, 0x83E
local PERIODIC, TSC_DEADLINE_MODE, MASKED, DIVIDE_BY_1 = 1 << 17, 2 << 17, 1 << 16, 0xB
local TIMER_VECTOR = 0xEC
local dev = ivshmem_probe(region_bdf())
local shm = ivshmem_get_mem(dev)
local command, response, ready = shm, shm + 64, shm + 128   -- a cache line each

if role() == "task" then
  -- x2APIC mode, as a kernel's x2apic_enable does: the timer registers are MSRs.
  wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | X2APIC_ENABLE)
  on_interrupt(TIMER_VECTOR, function() end)
  local rearm = nil
  if params.timer == "deadline" then
    -- As Linux's lapic_next_deadline: the next period's TSC value, the
    -- TSC's rate from ACRN's timing leaf (in kHz).
    local tsc_khz = cpuid(0x40000010)
    local period = math.floor(params.period_us * tsc_khz / 1000)
    if params.tsc_adjust ~= 0 then wrmsr(MSR_TSC_ADJUST, params.tsc_adjust) end
    wrmsr(LVT_TIMER, TSC_DEADLINE_MODE | TIMER_VECTOR)
    wait_until(ready, "eq", 1)       -- the server is up (the HMI VM launches later)
    local next = rdtsc()
    rearm = function()
      next = next + period
      local armed = timestamp()
      wrmsr(MSR_TSC_DEADLINE, next)
      record("arm", armed)
    end
  else
    -- The timer's rate, calibrated as a kernel's calibrate_APIC_clock does:
    -- a masked one-shot count from the top, read back after a stretch of
    -- known time. ACRN's virtual LAPIC counts TSC ticks; under LAPIC
    -- passthrough the physical one counts the core crystal clock.
    wrmsr(TIMER_DIVIDE, DIVIDE_BY_1)
    wrmsr(LVT_TIMER, MASKED | TIMER_VECTOR)
    wrmsr(TIMER_INITIAL_COUNT, 0xFFFFFFFF)
    local ns0 = now_ns()
    compute(100000)
    local ticks_per_us = (0xFFFFFFFF - rdmsr(TIMER_CURRENT_COUNT)) * 1000 / (now_ns() - ns0)
    wrmsr(TIMER_INITIAL_COUNT, 0)
    wait_until(ready, "eq", 1)       -- the server is up (the HMI VM launches later)
    wrmsr(LVT_TIMER, PERIODIC | TIMER_VECTOR)
    wrmsr(TIMER_INITIAL_COUNT, math.floor(params.period_us * ticks_per_us + 0.5))
  end
  local late, other_wakes = 0, 0
  for i = 1, params.cycles do
    if rearm then rearm() end
    if halt() ~= TIMER_VECTOR then other_wakes = other_wakes + 1 end
    local woke, woke_ns = timestamp(), now_ns()
    store64(command, i)
    wait_until(response, "eq", i)
    record("response", woke)
    if now_ns() - woke_ns > params.deadline_us * 1000 then late = late + 1 end
  end
  if not rearm then wrmsr(TIMER_INITIAL_COUNT, 0) end   -- stops the periodic timer
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
