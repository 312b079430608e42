-- Probes MSRs that ACRN refuses a User VM (each refusal is a #GP, which
-- pcall catches). A debug build logs the ones its RDMSR handler's default
-- branch refuses (pr_warn, level 4), not those a case of its own refuses
-- (docs/devices.md, "A debug build's log on the serial console").
if role() ~= "ping" then return end   -- the HMI VM's vCPU; the RT VM may own its PMU
local probes = {
  { 0xC1, "IA32_PMC0: logged" },
  { 0x200, "IA32_MTRR_PHYSBASE0: logged" },
  { 0x774, "IA32_HWP_REQUEST without vHWP: silent" },
}
for _, p in ipairs(probes) do
  local ok = pcall(rdmsr, p[1])
  expect(not ok, string.format("RDMSR of 0x%x (%s) is refused", p[1], p[2]))
end
