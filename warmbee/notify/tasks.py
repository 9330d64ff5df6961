from django_tasks import task

from . import sms


@task()
def deliver_sms(message_id: int) -> bool:
    return sms.deliver(message_id)
