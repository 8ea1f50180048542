import CLinuxShim
import RuntimeCommands

// The C prologue (.preinit_array) already scrubbed the environment, fds, signals and umask before this line.
// If argv seen by Swift disagrees with argv seen before the runtime started, something rewrote environ: refuse.
let arguments = CommandLine.arguments
if Int32(arguments.count) != kyr_prologue_argc() {
    kyr_exit_now(70)
}
kyr_exit_now(CommandLineEntry.main(arguments))
