package io.github.katayarnruntime.yarn;

import static org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.runtime.LinuxContainerRuntimeConstants.CONTAINER_LAUNCH_PREFIX_COMMANDS;
import static org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.runtime.LinuxContainerRuntimeConstants.PID;
import static org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.runtime.LinuxContainerRuntimeConstants.PID_FILE_PATH;
import static org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.runtime.LinuxContainerRuntimeConstants.RUN_AS_USER;
import static org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.runtime.LinuxContainerRuntimeConstants.SIGNAL;
import static org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.runtime.LinuxContainerRuntimeConstants.USER;

import java.io.File;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.protocol.datatransfer.IOStreamPair;
import org.apache.hadoop.yarn.server.nodemanager.ContainerExecutor;
import org.apache.hadoop.yarn.server.nodemanager.Context;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.container.Container;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.privileged.PrivilegedOperation;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.privileged.PrivilegedOperationException;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.privileged.PrivilegedOperationExecutor;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.linux.runtime.LinuxContainerRuntime;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.runtime.ContainerExecutionException;
import org.apache.hadoop.yarn.server.nodemanager.containermanager.runtime.ContainerRuntimeContext;
import org.apache.hadoop.yarn.server.nodemanager.executor.ContainerExecContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pluggable YARN Linux container runtime that runs containers in sandboxes (runc, runsc/gVisor, Kata VMs) through
 * the kata-yarn-runtime binary configured as the NodeManager's container-executor.
 *
 * <p>Enable it in yarn-site.xml with {@code yarn.nodemanager.runtime.linux.allowed-runtimes=default,kata} and
 * {@code yarn.nodemanager.runtime.linux.kata.class=io.github.katayarnruntime.yarn.KataContainerRuntime}; an
 * application opts in per container with {@code YARN_CONTAINER_RUNTIME_TYPE=kata}.
 *
 * <p>Launch writes {@code nmPrivate/<app>/<container>/kata-config.json} (the runc command-file schema plus a
 * {@code "kata"} object, see {@link KataCommandFile}) and runs {@code <binary> --run-runc-container <file>}, which
 * blocks until the workload exits and exits with its status. Liveness and signals use the stock numeric
 * SIGNAL_CONTAINER operation on the pid the binary writes to the pid file.
 */
public class KataContainerRuntime implements LinuxContainerRuntime {
  private static final Logger LOG = LoggerFactory.getLogger(KataContainerRuntime.class);

  /** The value of {@code YARN_CONTAINER_RUNTIME_TYPE} (or of the NM's default type) that selects this runtime. */
  public static final String RUNTIME_TYPE = "kata";
  /** Container environment variable that selects the runtime type (same name as the built-in runtimes use). */
  public static final String ENV_RUNTIME_TYPE = "YARN_CONTAINER_RUNTIME_TYPE";
  /** NodeManager key for the default runtime type when a container does not name one. */
  public static final String CONF_DEFAULT_RUNTIME_TYPE = "yarn.nodemanager.runtime.linux.type";

  private Configuration conf;
  private PrivilegedOperationExecutor executor;

  public KataContainerRuntime() {
  }

  @Override
  public void initialize(Configuration configuration, Context context) throws ContainerExecutionException {
    this.conf = configuration;
    this.executor = PrivilegedOperationExecutor.getInstance(configuration);
    LOG.info("kata runtime initialized; executor binary {}",
        PrivilegedOperationExecutor.getContainerExecutorExecutablePath(configuration));
  }

  @Override
  public boolean isRuntimeRequested(Map<String, String> env) {
    String type = env == null ? null : env.get(ENV_RUNTIME_TYPE);
    if (type == null || type.trim().isEmpty()) {
      type = conf == null ? null : conf.get(CONF_DEFAULT_RUNTIME_TYPE);
    }
    return type != null && RUNTIME_TYPE.equals(type.trim().toLowerCase(Locale.ROOT));
  }

  @Override
  public void prepareContainer(ContainerRuntimeContext ctx) throws ContainerExecutionException {
  }

  @Override
  public void launchContainer(ContainerRuntimeContext ctx) throws ContainerExecutionException {
    File pidFile = new File(ctx.getExecutionAttribute(PID_FILE_PATH).toUri().getPath());
    File commandFile = new File(pidFile.getParentFile(), KataCommandFile.FILE_NAME);
    try {
      KataCommandFile.write(commandFile, KataCommandFile.build(ctx, conf));
    } catch (IOException e) {
      throw new ContainerExecutionException("kata: cannot write " + commandFile + ": " + e.getMessage());
    }
    PrivilegedOperation launch =
        new PrivilegedOperation(PrivilegedOperation.OperationType.RUN_RUNC_CONTAINER, commandFile.getAbsolutePath());
    List<?> prefix = ctx.getExecutionAttribute(CONTAINER_LAUNCH_PREFIX_COMMANDS);
    run(prefix == null ? null : KataCommandFile.stringList(prefix), launch, "Launch container failed");
  }

  @Override
  public void relaunchContainer(ContainerRuntimeContext ctx) throws ContainerExecutionException {
    launchContainer(ctx);
  }

  @Override
  public void signalContainer(ContainerRuntimeContext ctx) throws ContainerExecutionException {
    ContainerExecutor.Signal signal = ctx.getExecutionAttribute(SIGNAL);
    PrivilegedOperation op = new PrivilegedOperation(PrivilegedOperation.OperationType.SIGNAL_CONTAINER);
    op.appendArgs(ctx.getExecutionAttribute(RUN_AS_USER), ctx.getExecutionAttribute(USER),
        Integer.toString(PrivilegedOperation.RunAsUserCommand.SIGNAL_CONTAINER.getValue()),
        ctx.getExecutionAttribute(PID), Integer.toString(signal.getValue()));
    // Exit 9 (process gone) is an expected answer to a liveness probe: let LinuxContainerExecutor judge.
    op.disableFailureLogging();
    run(null, op, "Signal container failed");
  }

  @Override
  public void reapContainer(ContainerRuntimeContext ctx) {
    // The binary tears the sandbox down itself when the workload exits.
  }

  @Override
  public IOStreamPair execContainer(ContainerExecContext ctx) throws ContainerExecutionException {
    // An exception with an unset (non-zero) exit code makes LinuxContainerExecutor answer an empty stream pair.
    throw new ContainerExecutionException("kata runtime: interactive exec into a sandbox is not supported");
  }

  @Override
  public String[] getIpAndHost(Container container) {
    return ContainerExecutor.getLocalIpAndHost(container);
  }

  @Override
  public String getExposedPorts(Container container) {
    return null;
  }

  private void run(List<String> prefix, PrivilegedOperation op, String what) throws ContainerExecutionException {
    try {
      executor.executePrivilegedOperation(prefix, op, null, null, false, false);
    } catch (PrivilegedOperationException e) {
      throw new ContainerExecutionException(what, e.getExitCode(), e.getOutput(), e.getErrorOutput());
    }
  }
}
