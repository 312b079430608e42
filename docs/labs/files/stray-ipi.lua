-- Lab 4, LAPIC passthrough: role sender (RT_VM vCPU 0) sends role receiver
-- (RT_VM vCPU 1) a fixed IPI on vector 0x61, first with the destination in
-- physical mode (the receiver's APIC ID), then in logical mode (its x2APIC
-- LDR: cluster 0, the bit of its APIC ID). Role bystander (HMI_VM) only
-- counts what reaches its guest. The ICR write exits to the hypervisor,
-- which sends it on to the physical LAPIC (vlapic_x2apic_pt_icr_access).
local VECTOR, ICR = 0x61, 0x830
local LOGICAL = 1 << 11
local mailbox = ram_base() + 0x100000   -- the receiver's APIC ID, for the sender (RT_VM's own RAM)
local shm = ivshmem_get_mem(ivshmem_probe(region_bdf()))  -- the bystander's "up" flag

if role() == "receiver" or role() == "bystander" then
  local got = 0
  on_interrupt(VECTOR, function() got = got + 1 end)
  if role() == "receiver" then store64(mailbox, 0x100 | apic_id()) else store64(shm, 1) end
  compute(5000000)                     -- long enough for both IPIs to land
  count(role() .. "_interrupts", got)
  if role() == "receiver" then
    expect(got == 1, "the receiver got the physical-mode IPI only, " .. got .. " in all")
  end
  return
end

local id = wait_until(mailbox, "ne", 0) & 0xff
wait_until(shm, "eq", 1)
wrmsr(ICR, (id << 32) | VECTOR)                          -- physical: the pCPU whose APIC ID this is
compute(100000)
wrmsr(ICR, ((1 << (id & 0xf)) << 32) | LOGICAL | VECTOR) -- logical: the receiver's own LDR
