import LinuxSystem
import RuntimeBase
import RuntimeCore
import StrictJSON
import YarnContract

/// The composition root and the one place where errors become exit statuses.
public enum CommandLineEntry {
    public static func main(_ arguments: [String]) -> Int32 {
        let system = LiveSystem()
        var argv = arguments
        var configOverride: String?
        if argv.count >= 3, argv[1] == "--config" {
            configOverride = argv[2]
            argv.removeSubrange(1...2)
        }
        do {
            switch ArgvDecoder.informational(argv) {
            case .help: system.writeStandardOutput(Usage.text); return 0
            case .version: system.writeStandardOutput(Usage.version); return 0
            case nil: break
            }
            let context = try SetupCheck.run(system: system, overrideConfig: configOverride)
            let request = try ArgvDecoder.decode(argv)
            try system.becomeRoot()
            try SetupCheck.requireWorkableLimits(system: system)
            return try Dispatcher(context: context).run(request)
        } catch {
            system.writeStandardError("Nonzero exit code=\(error.code.rawValue), error message='\(error.description)'")
            return error.code.rawValue
        }
    }
}

public enum Usage {
    public static let version = "kata-yarn-runtime 0.1.0 (container-executor contract of Hadoop 3.3.6)"
    public static let text = """
    kata-yarn-runtime: runs YARN containers in sandboxes (runc, runsc/gVisor, Kata micro-VMs)

    As the NodeManager's container-executor (yarn.nodemanager.linux-container-executor.path):
      kata-yarn-runtime --checksetup
      kata-yarn-runtime <run-as-user> <yarn-user> <command> <args...>   (Hadoop 3.3.6 layouts; docs/contract.md)
      kata-yarn-runtime --run-runc-container <command.json>

    Operator verbs:
      kata-yarn-runtime launch <container-id> [--context <file.json>] [--runtime runc|runsc|kata|shim:<name>]
      kata-yarn-runtime signal <container-id> <TERM|KILL|QUIT|number>
      kata-yarn-runtime state <container-id>
      kata-yarn-runtime list
      kata-yarn-runtime delete <container-id>
      kata-yarn-runtime gc                    (reclaims what containers whose launcher is gone left behind)

    Root may put `--config <container-executor.cfg>` first when running the binary directly (not setuid).
    """
}
