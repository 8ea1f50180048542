/// Annotation keys Kata's shim reads from `config.json` to size and shape the sandbox VM
/// (kata-containers `src/runtime/pkg/annotations`), and our own keys that record where a bundle came from.
public enum KataAnnotation {
    public static let defaultVCPUs = "io.katacontainers.config.hypervisor.default_vcpus"
    public static let defaultMemoryMiB = "io.katacontainers.config.hypervisor.default_memory"
    public static let sharedFS = "io.katacontainers.config.hypervisor.shared_fs"
    public static let virtioFSCache = "io.katacontainers.config.hypervisor.virtio_fs_cache"
    /// CRI-style keys the shim uses to tell a sandbox from a container in it: each YARN container is its own sandbox.
    public static let containerType = "io.kubernetes.cri.container-type"
    public static let sandboxID = "io.kubernetes.cri.sandbox-id"
}

public enum YarnAnnotation {
    public static let containerID = "org.apache.hadoop.yarn.container-id"
    public static let applicationID = "org.apache.hadoop.yarn.application-id"
    public static let user = "org.apache.hadoop.yarn.user"
    public static let vcores = "org.apache.hadoop.yarn.resource.vcores"
    public static let memoryMiB = "org.apache.hadoop.yarn.resource.memory-mb"
    public static let runtime = "io.github.kata-yarn-runtime.runtime"
}
