-- Role a stops with an error on line 5; role b goes on to the end.
count("started")
if role() == "a" then
  compute(100)
  local x = nil + 1
end
compute(1000)
count("finished_" .. role())
