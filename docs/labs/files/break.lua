-- Lab 4: role attacker (HMI_VM) tries to reach what it is not entitled to;
-- role victim (RT_VM) counts the doorbells that reach it. At the end the
-- attacker rings the victim once, properly: exactly that one must arrive.
local bdf = region_bdf()
local dev = ivshmem_probe(bdf)
local shm = ivshmem_get_mem(dev)
local bar0 = pci_read32(bdf, 0x10) & ~0xf
local IVPOSITION, DOORBELL = 0x08, 0x0c
local done = shm + 64                 -- the attacker's "finished" flag
local received = 0

if role() == "victim" then
  local sig = k_poll_signal()
  ivshmem_register_handler(dev, sig, 0, function() received = received + 1 end)
  store64(shm, 1)                     -- ready
  k_poll(sig)                         -- the first doorbell that arrives
  wait_until(done, "eq", 1)
  count("doorbells_received", received)
  expect(received == 1, "the victim received exactly the one legitimate doorbell, got " .. received)
  return
end

wait_until(shm, "eq", 1)              -- the victim's handler is in place
local me = ivshmem_get_id(dev)
local victim = peer_id("victim")

-- 1. Claim another VM's identity: IVPosition is read-only.
store32(bar0 + IVPOSITION, victim)
expect(load32(bar0 + IVPOSITION) == me, "IVPosition is still " .. me .. " after writing " .. victim)

-- 2. Ring a VM outside the region (Other_VM, VM 3), then VMs that do not exist.
store32(bar0 + DOORBELL, (3 << 16) | 0)
store32(bar0 + DOORBELL, (16 << 16) | 0)     -- max_vm_num: one past the last VM ID
store32(bar0 + DOORBELL, (0xffff << 16) | 0)

-- 3. Ring the victim on vectors it does not have (8 MSI-X entries: 0-7).
expect(ivshmem_int_peer(dev, victim, 9) == -22, "the driver refuses vector 9 (-EINVAL)")
store32(bar0 + DOORBELL, (victim << 16) | 9)  -- past the driver: the hypervisor drops it

-- 4. Ask the hypervisor to pause the RT VM (HC_PAUSE_VM): only the Service
-- VM may make hypercalls.
local rc, vector = hypercall(0x80000013, victim)
expect(rc == nil and vector == 6, "HC_PAUSE_VM from a User VM faults with #UD (vector 6)")

-- 5. Move BAR2 (the region's window) onto our own RAM, hoping the EPT now
-- shows something new there, then move it back. The region holds the
-- victim's "ready" flag (1) at its start.
local ram = ram_base() + 256 * 1024 * 1024
store64(ram, 0x52414d)                -- "RAM"
local lo, hi = pci_read32(bdf, 0x18), pci_read32(bdf, 0x1c)
pci_write32(bdf, 0x18, (ram & 0xffffffff) | (lo & 0xf))
pci_write32(bdf, 0x1c, ram >> 32)
local seen = load64(ram)
print(string.format("BAR2 moved onto our RAM at 0x%x: the page reads 0x%x", ram, seen))
expect(seen == 0x52414d or seen == 1, "BAR2 over our RAM shows our own RAM or our own region")
pci_write32(bdf, 0x18, lo)
pci_write32(bdf, 0x1c, hi)
expect(load64(shm) == 1, "BAR2 moved back: the region kept its data")

-- 6. Throw away what the caches hold: INVD invalidates them without
-- writing anything back, so on the host it would drop the modified lines
-- of the shared LLC, the victim's among them. Write a line of our own first, and see
-- whether INVD took even that one.
store64(shm + 128, 0x494e5644)       -- "INVD"
invd()
compute(1)                            -- the ticks that came due while a debug build logged the exit run first
local t = now_ns()
local mine = load64(shm + 128)
local reload_ns = now_ns() - t
print(string.format("after INVD our own line reads 0x%x in %.1f ns", mine, reload_ns))
expect(mine == 0x494e5644 and reload_ns < 10, "INVD was ignored: our line is still in our L1D")

-- 7. The control experiment: one proper doorbell.
expect(ivshmem_int_peer(dev, victim, 0) == 0, "the legitimate doorbell is sent")
compute(100000)                       -- let it land before saying we are done
store64(done, 1)
