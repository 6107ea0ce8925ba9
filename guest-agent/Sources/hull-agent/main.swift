// hull-agent: PID 1 of every Hull guest. See AgentMain for the boot sequence and
// docs/protocol.md for what it speaks to the host.
AgentMain.run()
