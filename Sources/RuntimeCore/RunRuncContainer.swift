import HadoopConfig
import LinuxSystem
import RuntimeBase
import YarnContract

/// `--run-runc-container <json>`: the NodeManager's runc runtime (and our plugin's `kata` runtime, which writes
/// the same file plus a `kata` object). The container runs through the same launch path as operation 1, in the
/// runtime policy picks (the `kata` object may request one), with the image's squashfs layers as its rootfs.
public struct RunRuncContainer {
    let context: RuntimeContext

    public init(context: RuntimeContext) { self.context = context }

    public func run(commandFile: AbsolutePath) throws(RuntimeError) -> Int32 {
        let system = context.system
        let bytes = try context.asNodeManager { () throws(RuntimeError) -> [UInt8] in
            try system.readFile(commandFile.value, maxBytes: RuncCommand.maxBytes, code: .runcSetupFailed)
        }
        let command = try RuncCommand.decode(bytes)
        // Hadoop's runc runtime needs its feature switch; our kata plugin's files (with a `kata` object) do not.
        guard context.config.features.runc || command.fromKataPlugin else {
            throw RuntimeError(.featureDisabled, "Feature disabled: runc (enable [runc] module.enabled=true)")
        }
        guard try system.fileStatus(command.launch.pidFile.value) == nil else {
            throw RuntimeError(.runcRunFailed, "pid file \(command.launch.pidFile) already exists")
        }
        var launch = command.launch
        launch.optedIntoSandbox = true
        launch.extraMounts = try userMounts(command)
        if !command.layers.isEmpty || command.image != nil {
            launch.image = ContainerImage(layers: command.image == nil ? command.layers : [], directory: command.image,
                                          arguments: command.arguments, environment: command.imageEnvironment)
        }
        return try LaunchContainer(context: context).run(launch)
    }

    /// The NodeManager's mounts, minus the ones every bundle has anyway (YARN's own dirs, /tmp and /var/tmp, which
    /// our bundles give a private tmpfs), each checked against `[runc] runc.allowed.{ro,rw}-mounts` by path
    /// components after resolving symlinks. A read-write mount that would expose the configuration is refused.
    func userMounts(_ command: RuncCommand) throws(RuntimeError) -> [ExtraMount] {
        let launch = command.launch
        let yarnDirs = launch.localDirectories + launch.logDirectories
        let allowedRW = try resolved(context.config.runc.allowedRWMounts)
        let allowedRO = try resolved(context.config.runc.allowedROMounts) + allowedRW
        let configDir = try AbsolutePath(context.configPath, code: .invalidConfigFile).parent
        var extra: [ExtraMount] = []
        for mount in command.mounts {
            if ["/tmp", "/var/tmp"].contains(mount.destination.value) { continue }
            if mount.source == mount.destination, yarnDirs.contains(where: { mount.source.isWithin($0) }) { continue }
            guard let real = context.system.realPath(mount.source.value), let source = try? AbsolutePath(real) else {
                throw RuntimeError(.runcRunFailed, "mount source \(mount.source) does not exist")
            }
            let allowed = mount.readOnly ? allowedRO : allowedRW
            guard allowed.contains(where: { source.isWithin($0) }) else {
                throw RuntimeError(.runcRunFailed, "\(mount.readOnly ? "read-only" : "read-write") mount \(source) is not allowed by [runc] runc.allowed.\(mount.readOnly ? "ro" : "rw")-mounts")
            }
            if !mount.readOnly, configDir.isWithin(source) {
                throw RuntimeError(.runcRunFailed, "read-write mount \(source) would expose the executor configuration")
            }
            extra.append(ExtraMount(source: source, destination: mount.destination, readOnly: mount.readOnly))
        }
        return extra
    }

    func resolved(_ paths: [String]) throws(RuntimeError) -> [AbsolutePath] {
        paths.compactMap { context.system.realPath($0) }.compactMap { try? AbsolutePath($0) }
    }
}
