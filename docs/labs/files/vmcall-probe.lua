-- A neighbour's agent that probes for a hypervisor interface: every
-- params.period_us it wakes from HLT on its LAPIC timer (TSC-deadline mode,
-- as Linux's lapic_next_deadline arms it) and makes a VMCALL, params.probes
-- times. A User VM may make no hypercall: ACRN answers #UD, and a debug
-- build logs the refusal on its serial console with the pCPU held
-- (docs/realtime.md, "A neighbour whose refusals are logged").
local MSR_APIC_BASE, X2APIC_ENABLE, LVT_TIMER, MSR_TSC_DEADLINE = 0x1B, 0xC00, 0x832, 0x6E0
local TSC_DEADLINE_MODE, TIMER_VECTOR = 2 << 17, 0xEC
wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | X2APIC_ENABLE)
on_interrupt(TIMER_VECTOR, function() end)
wrmsr(LVT_TIMER, TSC_DEADLINE_MODE | TIMER_VECTOR)
local period = math.floor(params.period_us * cpuid(0x40000010) / 1000)   -- ACRN's timing leaf: the TSC in kHz
local next = rdtsc()
for _ = 1, params.probes do
  next = next + period
  wrmsr(MSR_TSC_DEADLINE, next)
  halt()
  local result, vector = hypercall(0x80000000)   -- HC_GET_API_VERSION
  if result == nil and vector == 6 then count("refused") end
end
