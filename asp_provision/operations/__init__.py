"""Operations on a workspace, grouped by who asks for them; the service facade has them all."""
