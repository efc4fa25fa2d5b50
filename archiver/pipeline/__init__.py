"""The capture pipeline: message-shaped tasks (`tasks`), their handlers (`articles`, `posts`), the
executors that run them (`executors`) and the one run (`run`): articles, and the posts each cites as
soon as it is read."""

from .executors import Executor, Handlers, InlineExecutor, NotStarted, ProcessPoolExecutor, TaskFailed
from .run import Plan, RunState, choose_posts, execute, run_phases
from .session import Session, recover_warcs
from .summary import ArchiveSummary, ArticleOutcome
from .tasks import ArticleResult, ArticleTask, PostResult, PostTask

__all__ = ["ArchiveSummary", "ArticleOutcome", "ArticleResult", "ArticleTask", "Executor", "Handlers",
           "InlineExecutor", "NotStarted", "Plan", "PostResult", "PostTask", "ProcessPoolExecutor", "RunState",
           "Session", "TaskFailed", "choose_posts", "execute", "recover_warcs", "run_phases"]
