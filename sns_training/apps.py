from django.apps import AppConfig


class SnsTrainingConfig(AppConfig):
    name = "sns_training"
    verbose_name = "SNS training site"
