from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from exam.core.forms import REQUIRED


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(REQUIRED)])
    password = PasswordField(_l("Mật khẩu"), validators=[DataRequired(REQUIRED)])


class RegistrationForm(FlaskForm):
    full_name = StringField(
        _l("Họ và tên"),
        validators=[DataRequired(REQUIRED), Length(max=120)],
        description=_l("Viết đầy đủ, có dấu, như trên căn cước công dân."),
    )
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(REQUIRED),
            Email(_l("Địa chỉ email không hợp lệ.")),
            Length(max=254),
        ],
        filters=[_strip],  # a pasted address often carries a space: not a reason to refuse it
    )
    password = PasswordField(
        _l("Mật khẩu"),
        validators=[DataRequired(REQUIRED)],
        description=_l(
            "Ít nhất 10 ký tự, không phải mật khẩu phổ biến, không chứa email hay họ tên. "
            "Nên dùng một cụm vài từ dễ nhớ."
        ),
    )
    confirm = PasswordField(
        _l("Nhập lại mật khẩu"),
        validators=[DataRequired(REQUIRED), EqualTo("password", _l("Hai mật khẩu không khớp."))],
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Mật khẩu hiện tại"), validators=[DataRequired(REQUIRED)])
    password = PasswordField(
        _l("Mật khẩu mới"),
        validators=[DataRequired(REQUIRED)],
        description=_l(
            "Ít nhất 10 ký tự, không phải mật khẩu phổ biến, không chứa email hay họ tên. "
            "Nên dùng một cụm vài từ dễ nhớ."
        ),
    )
    confirm = PasswordField(
        _l("Nhập lại mật khẩu mới"),
        validators=[DataRequired(REQUIRED), EqualTo("password", _l("Hai mật khẩu không khớp."))],
    )


# --- invitations and "forgot password" (exam/accounts/invitations.py) ----------------------


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("Mật khẩu mới"),
        validators=[DataRequired(REQUIRED)],
        description=_l(
            "Ít nhất 10 ký tự, không phải mật khẩu phổ biến, không chứa email hay họ tên. "
            "Nên dùng một cụm vài từ dễ nhớ."
        ),
    )
    confirm = PasswordField(_l("Nhập lại mật khẩu mới"), validators=[DataRequired(REQUIRED)])


class ForgotPasswordForm(FlaskForm):
    email = EmailField(
        _l("Email"),
        validators=[
            DataRequired(REQUIRED),
            Email(_l("Địa chỉ email không hợp lệ.")),
            Length(max=254),
        ],
        filters=[_strip],
    )
