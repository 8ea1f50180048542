/// The exit codes of Hadoop 3.3.6's container-executor (`CE/util.h`, `enum errorcodes`), plus the codes the
/// NodeManager reads from a launch (the workload's own status, 143/137 for TERM/KILL, 154 LOST).
/// Raw values are Hadoop's: a test pins every one, so a renumbering breaks the build.
public enum ExitCode: Int32, Sendable, CaseIterable {
    case success = 0
    case invalidArgumentNumber = 1            // INVALID_ARGUMENT_NUMBER
    case invalidUserName = 2                  // INVALID_USER_NAME (commented out in C, kept by Java ResultCode)
    case invalidCommandProvided = 3           // INVALID_COMMAND_PROVIDED
    case invalidNMRootDirs = 5                // INVALID_NM_ROOT_DIRS
    case setuidOperFailed = 6                 // SETUID_OPER_FAILED
    case unableToExecuteContainerScript = 7   // UNABLE_TO_EXECUTE_CONTAINER_SCRIPT
    case unableToSignalContainer = 8          // UNABLE_TO_SIGNAL_CONTAINER
    case invalidContainerPid = 9              // INVALID_CONTAINER_PID
    case outOfMemory = 18                     // OUT_OF_MEMORY
    case initializeUserFailed = 20            // INITIALIZE_USER_FAILED
    case pathToDeleteIsNull = 21              // PATH_TO_DELETE_IS_NULL
    case invalidContainerExecPermissions = 22 // INVALID_CONTAINER_EXEC_PERMISSIONS
    case invalidConfigFile = 24               // INVALID_CONFIG_FILE
    case setsidOperFailed = 25                // SETSID_OPER_FAILED
    case writePidfileFailed = 26              // WRITE_PIDFILE_FAILED
    case writeCgroupFailed = 27               // WRITE_CGROUP_FAILED
    case trafficControlExecutionFailed = 28   // TRAFFIC_CONTROL_EXECUTION_FAILED
    case dockerRunFailed = 29                 // DOCKER_RUN_FAILED
    case errorOpeningDockerFile = 30          // ERROR_OPENING_DOCKER_FILE
    case errorReadingDockerFile = 31          // ERROR_READING_DOCKER_FILE
    case featureDisabled = 32                 // FEATURE_DISABLED
    case couldNotCreateScriptCopy = 33        // COULD_NOT_CREATE_SCRIPT_COPY
    case couldNotCreateCredentialsCopy = 34   // COULD_NOT_CREATE_CREDENTIALS_COPY
    case couldNotCreateWorkDirectories = 35   // COULD_NOT_CREATE_WORK_DIRECTORIES
    case couldNotCreateAppLogDirectories = 36 // COULD_NOT_CREATE_APP_LOG_DIRECTORIES
    case couldNotCreateTmpDirectories = 37    // COULD_NOT_CREATE_TMP_DIRECTORIES
    case errorCreateContainerDirectoriesArguments = 38 // ERROR_CREATE_CONTAINER_DIRECTORIES_ARGUMENTS
    case errorSanitizingDockerCommand = 39    // ERROR_SANITIZING_DOCKER_COMMAND
    case dockerImageInvalid = 40              // DOCKER_IMAGE_INVALID
    case errorCompilingRegex = 42             // ERROR_COMPILING_REGEX
    case invalidContainerId = 43              // INVALID_CONTAINER_ID
    case dockerExecFailed = 44                // DOCKER_EXEC_FAILED
    case couldNotCreateKeystoreCopy = 45      // COULD_NOT_CREATE_KEYSTORE_COPY
    case couldNotCreateTruststoreCopy = 46    // COULD_NOT_CREATE_TRUSTSTORE_COPY
    case errorCallingSetvbuf = 47             // ERROR_CALLING_SETVBUF
    case bufferTooSmall = 48                  // BUFFER_TOO_SMALL
    case invalidMount = 49                    // INVALID_MOUNT
    case invalidROMount = 50                  // INVALID_RO_MOUNT
    case invalidRWMount = 51                  // INVALID_RW_MOUNT
    case mountAccessError = 52                // MOUNT_ACCESS_ERROR
    case invalidDockerCommandFile = 53        // INVALID_DOCKER_COMMAND_FILE
    case incorrectDockerCommand = 54          // INCORRECT_DOCKER_COMMAND (54-75: docker validation codes)
    case dockerServiceModeDisabled = 75       // DOCKER_SERVICE_MODE_DISABLED
    case runcSetupFailed = 76                 // ERROR_RUNC_SETUP_FAILED
    case runcRunFailed = 77                   // ERROR_RUNC_RUN_FAILED
    case runcReapLayerMountsFailed = 78       // ERROR_RUNC_REAP_LAYER_MOUNTS_FAILED
    case dockerContainerExecFailed = 79       // ERROR_DOCKER_CONTAINER_EXEC_FAILED
    case cannotGetExecutableNameFromReadlink = 80 // 3.4.x CANNOT_GET_EXECUTABLE_NAME_FROM_READLINK
    case tooLongExecutorPath = 81             // 3.4.x TOO_LONG_EXECUTOR_PATH
    case cannotGetExecutableNameFromKernel = 82 // 3.4.x
    case cannotGetExecutableNameFromPid = 83  // 3.4.x
    case wrongPathOfExecutable = 84           // 3.4.x WRONG_PATH_OF_EXECUTABLE
    /// Hadoop's many `return -1` paths (bad user, delete/list failures): the shell sees 255.
    case generalFailure = 255
    /// `ContainerExecutor.ExitCode`: the NodeManager's reading of a launch status.
    case terminated = 143                     // TERMINATED (SIGTERM)
    case forceKilled = 137                    // FORCE_KILLED (SIGKILL)
    case lost = 154                           // LOST

    /// Exit status of a process killed by `signal`, as a shell and the NodeManager expect it.
    public static func signalled(_ signal: Int32) -> Int32 { 128 + signal }
}
