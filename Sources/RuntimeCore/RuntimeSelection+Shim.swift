import RuntimeBase
import RuntimeDrivers
import YarnContract

extension RuntimeSelection {
    /// `kata` → containerd-shim-kata-v2 (with Kata's configuration file if set); `shim:<name>` →
    /// `<shim.directory>/containerd-shim-<name>-v2`. Both speak the shim v2 task API over ttrpc, no daemon.
    static func shimDriver(named name: String, context: RuntimeContext, stateRoot: AbsolutePath) throws(RuntimeError) -> any RuntimeDriver {
        let state = try stateRoot.appending("shim")
        let kata = context.kata
        if name == "kata" {
            var config: AbsolutePath?
            if let path = kata.kataConfigPath { config = try AbsolutePath(path, code: .invalidConfigFile) }
            return try ShimV2Driver.kata(shimBinary: try AbsolutePath(kata.kataShimBinary, code: .invalidConfigFile),
                                         configPath: config, stateDirectory: state, system: context.system)
        }
        return try ShimV2Driver.named(name, shimDirectory: try AbsolutePath(kata.shimDirectory, code: .invalidConfigFile),
                                      stateDirectory: state, system: context.system)
    }
}
