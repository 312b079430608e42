-- Lab 4, the APIC-access page: role sender (HMI_VM) stores a word at
-- 0xFEE00008, in the xAPIC page at 0xFEE00000, which both guests map uncached
-- (Linux's APIC fixmap). Role receiver (Other_VM) reads its own 0xFEE00008
-- until the word is there, a few thousand cycles apart. Both guests switched
-- their LAPICs to x2APIC mode at boot, so neither access is an APIC access
-- any more: no VM exit, just the EPT.
local WORD = 0xfee00008
local MESSAGE = 0x48454c4c4f          -- "HELLO"

if role() == "sender" then
  store64(WORD, MESSAGE)
  print(string.format("HMI_VM stored 0x%x at 0x%x, which reads back 0x%x", MESSAGE, WORD, load64(WORD)))
  return
end

local seen = 0
for _ = 1, 1000 do
  seen = load64(WORD)
  if seen == MESSAGE then break end
  compute(3000)                        -- a few thousand cycles between reads
end
print(string.format("Other_VM read 0x%x at 0x%x at %.1f us", seen, WORD, now_ns() / 1000))
count("words_received", seen == MESSAGE and 1 or 0)
expect(seen == MESSAGE, "what ACRN does: the word crossed between two VMs that share no region")
